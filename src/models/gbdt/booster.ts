import { Random } from '../../stats/random.js'
import type { TrainingData } from '../dataset.js'
import { type BinnedFeature, binCategorical, binNumeric, numericThresholds } from './bins.js'
import { TreeGrower, toRowMajor } from './grower.js'
import { RowParallel, type SharedTrainingState } from './parallel.js'
import { addTreeScores, type Tree } from './tree.js'

export interface GbdtParams {
  learning_rate: number
  max_iter: number
  max_leaf_nodes: number
  max_depth: number | null
  min_samples_leaf: number
  l2_regularization: number
  max_bins: number
  /** 'auto': on when there are more than 10 000 rows. */
  early_stopping: 'auto' | boolean
  n_iter_no_change: number
  tol: number
  growth: 'leaf' | 'depth'
}

/** scikit-learn's HistGradientBoosting defaults. */
export const GBDT_DEFAULTS: GbdtParams = {
  learning_rate: 0.1,
  max_iter: 100,
  max_leaf_nodes: 31,
  max_depth: null,
  min_samples_leaf: 20,
  l2_regularization: 0,
  max_bins: 255,
  early_stopping: 'auto',
  n_iter_no_change: 10,
  tol: 1e-7,
  growth: 'leaf',
}

export interface GbdtEnsemble {
  baseline: number
  trees: Tree[]
  /** Validation loss before each iteration (index 0: the baseline alone). */
  validationLoss: number[]
  earlyStopped: boolean
  /** Every row's raw score after the last tree (training and validation rows alike). */
  raw: Float64Array
}

/**
 * Histogram gradient boosting (log loss for classification, squared error for regression) on
 * the training rows, with early stopping on the validation rows when asked. Seeded: the same
 * data, parameters and seed give the same trees.
 */
export function fitGbdt(
  data: TrainingData,
  trainRows: Uint32Array,
  validationRows: Uint32Array,
  params: GbdtParams,
  seed: number,
  onIteration?: (iteration: number, total: number) => void,
): GbdtEnsemble {
  const rng = new Random(seed)
  const binned: BinnedFeature[] = data.features.map((f, i) =>
    f.kind === 'num'
      ? binNumeric(
          data.columns[i] as Float64Array,
          numericThresholds(subset(data.columns[i] as Float64Array, trainRows), params.max_bins, rng),
        )
      : binCategorical(data.columns[i] as Int32Array, f.categories.length),
  )
  const isCategorical = data.features.map((f) => f.kind === 'cat')
  const bins = binned.map((b) => b.bins)
  const rowBins = toRowMajor(binned)
  const classify = data.task === 'classification'
  const y = data.y

  let mean = 0
  for (const r of trainRows) mean += y[r]!
  mean /= trainRows.length
  const baseline = classify ? Math.log(Math.max(mean, 1e-15) / Math.max(1 - mean, 1e-15)) : mean

  // Everything the helper thread reads lives in shared memory. Gradients and hessians are float32,
  // as scikit-learn keeps them: half the memory traffic.
  const shared: SharedTrainingState = {
    F: binned.length,
    rowBins,
    indices: new Uint32Array(new SharedArrayBuffer(trainRows.length * 4)),
    scratch: new Uint32Array(new SharedArrayBuffer(trainRows.length * 4)),
    inLeft: new Uint8Array(new SharedArrayBuffer(256)),
    trainRows: Uint32Array.from(trainRows),
    g: new Float32Array(new SharedArrayBuffer(data.rows * 4)),
    h: new Float32Array(new SharedArrayBuffer(data.rows * 4)).fill(1),
    raw: new Float64Array(new SharedArrayBuffer(data.rows * 8)).fill(baseline),
    y: new Float64Array(new SharedArrayBuffer(data.rows * 8)),
  }
  shared.y.set(y)
  const { raw, g } = shared
  const rowParallel = new RowParallel(shared)
  const lossOf = (rows: Uint32Array) => {
    let s = 0
    for (const r of rows) {
      if (classify) {
        const z = raw[r]!
        // log(1 + e^z) − y·z, computed stably.
        s += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[r]! * z
      } else s += 0.5 * (raw[r]! - y[r]!) ** 2
    }
    return s / rows.length
  }
  const early = params.early_stopping === 'auto' ? data.rows > 10_000 : params.early_stopping
  const validate = early && validationRows.length > 0
  const scores = validate ? [-lossOf(validationRows)] : []
  const trees: Tree[] = []
  let earlyStopped = false
  const grower = new TreeGrower(binned, shared, rowParallel, {
    maxLeafNodes: params.max_leaf_nodes,
    maxDepth: params.max_depth,
    minSamplesLeaf: params.min_samples_leaf,
    l2Regularization: params.l2_regularization,
    learningRate: params.learning_rate,
    growth: params.growth,
  })
  for (let it = 0; it < params.max_iter; it++) {
    if (classify) rowParallel.gradients()
    else for (const r of trainRows) g[r] = raw[r]! - y[r]!
    const { tree, leaves } = grower.grow()
    trees.push(tree)
    const rows = grower.rows()
    for (const leaf of leaves) for (let i = leaf.start; i < leaf.end; i++) raw[rows[i]!]! += leaf.value
    addTreeScores(tree, bins, isCategorical, validationRows, raw)
    onIteration?.(it + 1, params.max_iter)
    if (validate) {
      scores.push(-lossOf(validationRows))
      if (shouldStop(scores, params.n_iter_no_change, params.tol)) {
        earlyStopped = true
        break
      }
    }
  }
  rowParallel.close()
  return { baseline, trees, validationLoss: scores.map((s) => -s), earlyStopped, raw }
}

/** scikit-learn's rule: stop when none of the last n scores beat the one before them by more than tol. */
function shouldStop(scores: number[], n: number, tol: number): boolean {
  if (scores.length < n + 1) return false
  const reference = scores[scores.length - n - 1]! + tol
  return !scores.slice(-n).some((s) => s > reference)
}

function subset(values: Float64Array, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]!]!
  return out
}
