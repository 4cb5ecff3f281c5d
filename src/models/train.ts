import { SluiceError } from '../core/errors.js'
import type { Frame } from '../data/frame.js'
import { classificationMetrics } from '../metrics/classification.js'
import { regressionMetrics } from '../metrics/regression.js'
import { type DatasetOptions, type Task, trainingData } from './dataset.js'
import { fitGbdt } from './gbdt/booster.js'
import { fitLinear, fitLogistic } from './linear/fit.js'
import { predictRaw, sigmoid, type TrainedModel } from './model.js'
import { exportOnnx } from './onnx/export.js'
import { type Algorithm, resolveParams } from './params.js'
import { trainValidationSplit } from './split.js'

export interface TrainOptions extends DatasetOptions {
  algo: Algorithm
  params?: Record<string, unknown>
  seed: number
  /** Called after each boosting iteration (or optimiser run), for a progress bar. */
  onProgress?: (done: number, total: number) => void
}

export interface TrainResult {
  model: TrainedModel
  /** The exported ONNX graph (byte-identical for the same data, parameters and seed). */
  onnx: Uint8Array
  /** Parameters as used, defaults filled in. */
  params: Record<string, unknown>
  task: Task
  /** Metrics on the validation split (or the training rows when there is none). */
  metrics: Record<string, number>
  trainRows: number
  validationRows: number
  /** Boosting iterations run (gbdt) or optimiser iterations (logistic). */
  iterations: number
}

/** Trains one of the built-in models and exports it to ONNX. Deterministic for a given seed. */
export function train(frame: Frame, options: TrainOptions): TrainResult {
  const data = trainingData(frame, options)
  if (options.algo === 'logistic' && data.task !== 'classification') {
    throw new SluiceError(
      'USAGE',
      'logistic trains classifiers; for a numeric target use --algo linear or gbdt (or --task classification)',
    )
  }
  if (options.algo === 'linear' && data.task !== 'regression') {
    throw new SluiceError('USAGE', 'linear trains regressors; for a class target use --algo logistic or gbdt')
  }
  const params = resolveParams(options.algo, options.params ?? {})
  const { train: trainRows, validation } = trainValidationSplit(
    data.y,
    params.validation_fraction,
    options.seed,
    data.task === 'classification',
  )
  const base = {
    task: data.task,
    features: data.features,
    classes: data.classes,
    numericClasses: data.numericClasses,
  }

  let model: TrainedModel
  let iterations: number
  // Boosting keeps every row's score up to date: no need to predict the evaluation rows again.
  let boostedRaw: Float64Array | null = null
  if (options.algo === 'gbdt') {
    const p = params as ReturnType<typeof resolveParams<'gbdt'>>
    const fit = fitGbdt(data, trainRows, validation, p, options.seed, options.onProgress)
    model = { ...base, algo: 'gbdt', baseline: fit.baseline, trees: fit.trees }
    iterations = fit.trees.length
    boostedRaw = fit.raw
  } else {
    const fit =
      options.algo === 'logistic'
        ? fitLogistic(data, trainRows, params as ReturnType<typeof resolveParams<'logistic'>>)
        : fitLinear(data, trainRows, params as ReturnType<typeof resolveParams<'linear'>>)
    options.onProgress?.(1, 1)
    model = {
      ...base,
      algo: options.algo,
      means: fit.means,
      stds: fit.stds,
      weights: fit.weights,
      intercept: fit.intercept,
    }
    iterations = fit.iterations
  }

  const evalRows = validation.length ? validation : trainRows
  const raw = boostedRaw
    ? Float64Array.from(evalRows, (r) => boostedRaw[r]!)
    : predictRaw(
        model,
        data.columns.map((c) =>
          c instanceof Float64Array
            ? Float64Array.from(evalRows, (r) => c[r]!)
            : Int32Array.from(evalRows, (r) => c[r]!),
        ),
        evalRows.length,
      )
  const y = Float64Array.from(evalRows, (r) => data.y[r]!)
  const metrics =
    data.task === 'classification' ? classifierMetrics(y, raw) : { ...regressionMetrics(y, raw) }
  const onnx = exportOnnx(model, {
    sluice_params: JSON.stringify(params),
    sluice_seed: String(options.seed),
    sluice_classes: JSON.stringify(data.classes),
    sluice_target: options.target,
  })
  return {
    model,
    onnx,
    params,
    task: data.task,
    metrics,
    trainRows: trainRows.length,
    validationRows: validation.length,
    iterations,
  }
}

function classifierMetrics(y: Float64Array, raw: Float64Array): Record<string, number> {
  const p = raw.map(sigmoid)
  const { confusion_matrix: _, ...m } = classificationMetrics(
    Int32Array.from(y),
    Int32Array.from(p, (v) => (v > 0.5 ? 1 : 0)),
    p,
    2,
  )
  return m as Record<string, number>
}
