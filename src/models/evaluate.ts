import { stat } from 'node:fs/promises'
import { SluiceError } from '../core/errors.js'
import { sha256File } from '../core/hash.js'
import { type CellValue, frameFromColumns } from '../data/build.js'
import { type Column, cell, type Frame } from '../data/frame.js'
import { loadFrame } from '../data/load.js'
import { takeRows } from '../data/select.js'
import { writeFrame } from '../data/write.js'
import { classificationMetrics } from '../metrics/classification.js'
import type { EvaluationDoc, MetricValue } from '../metrics/evaluation.js'
import { regressionMetrics } from '../metrics/regression.js'
import { Random } from '../stats/random.js'
import { outputRoles, recordedClasses, valueAt } from './outputs.js'
import { OnnxModel, type Output } from './runtime.js'

export type { EvaluationDoc } from '../metrics/evaluation.js'

export interface EvaluateOptions {
  modelFile: string
  model: { name: string; version: number | null }
  dataFile: string
  target: string
  sliceBy?: string[]
  /** Writes per-row predictions (with `id` or the row number, and the true value) here. */
  predictionsOut?: string
  idColumn?: string
  /** Rows timed one at a time for the latency figures (default 200). */
  latencySamples?: number
}

/** At most this many distinct values in a slicing column. */
const MAX_SLICES = 1000

/**
 * Evaluates a model on a labelled dataset: metrics (overall and per slice), the model's size,
 * single-row latency, and optionally the per-row predictions written beside their row ids so two
 * models can be compared row by row.
 */
export async function evaluateModel(o: EvaluateOptions): Promise<EvaluationDoc> {
  const { frame } = await loadFrame(o.dataFile)
  const targetCol = frame.columns.find((c) => c.name === o.target)
  if (!targetCol) {
    throw new SluiceError(
      'INVALID_INPUT',
      `target column "${o.target}" is not in ${o.dataFile}; its columns are ${frame.columns.map((c) => c.name).join(', ')}`,
    )
  }
  const sliceCols = (o.sliceBy ?? []).map((name) => {
    const c = frame.columns.find((col) => col.name === name)
    if (!c) throw new SluiceError('INVALID_INPUT', `slice column "${name}" is not in the data`)
    return c
  })
  const idCol = o.idColumn ? frame.columns.find((c) => c.name === o.idColumn) : undefined
  if (o.idColumn && !idCol)
    throw new SluiceError('INVALID_INPUT', `id column "${o.idColumn}" is not in the data`)

  const model = await OnnxModel.load(o.modelFile)
  try {
    let roles: ReturnType<typeof outputRoles>
    try {
      roles = outputRoles(model.signature, await recordedClasses(o.modelFile))
    } catch (e) {
      throw new SluiceError('INVALID_INPUT', `${o.modelFile}: ${(e as Error).message}`)
    }
    const outputs = await model.predictFrame(frame)
    const rows = Array.from({ length: frame.rows }, (_, r) => r).filter((r) => !targetCol.missing[r])
    const scorer =
      roles.kind === 'classifier'
        ? classifierScorer(roles, outputs, targetCol, rows)
        : regressorScorer(roles.prediction.name, outputs, targetCol)
    const metrics = scorer.metrics(rows)
    const slices: EvaluationDoc['slices'] = {}
    for (const c of sliceCols) slices[c.name] = sliceMetrics(c, rows, scorer.metrics)

    let predictions: EvaluationDoc['predictions'] = null
    if (o.predictionsOut) {
      await writeFrame(scorer.predictionFrame(idCol, frame.rows), o.predictionsOut)
      predictions = {
        path: o.predictionsOut,
        digest: (await sha256File(o.predictionsOut)).digest,
        id_column: idCol?.name ?? null,
      }
    }
    return {
      schema: 'sluice.evaluation/v1',
      model: {
        ...o.model,
        digest: (await sha256File(o.modelFile)).digest,
        size_bytes: (await stat(o.modelFile)).size,
        latency_ms: await latency(model, frame, o.latencySamples ?? 200),
      },
      dataset: { path: o.dataFile, fingerprint: (await sha256File(o.dataFile)).digest, rows: frame.rows },
      target: o.target,
      task: roles.kind === 'classifier' ? 'classification' : 'regression',
      predictions,
      metrics,
      slices,
    }
  } finally {
    await model.close()
  }
}

interface Scorer {
  metrics(rows: number[]): Record<string, MetricValue>
  predictionFrame(id: Column | undefined, n: number): Frame
}

function classifierScorer(
  roles: Extract<ReturnType<typeof outputRoles>, { kind: 'classifier' }>,
  outputs: Record<string, Output>,
  target: Column,
  rows: number[],
): Scorer {
  const text = (c: Column, r: number) => String(cell(c, r))
  const probs = outputs[roles.probabilities.name]!
  const k = probs.rowShape[0] ?? 2
  const classes =
    roles.classes ??
    [...new Set(rows.map((r) => text(target, r)))].sort(
      target.kind === 'number' ? (a, b) => Number(a) - Number(b) : undefined,
    )
  const index = new Map(classes.map((c, i) => [c, i]))
  const yTrue = new Int32Array(target.missing.length)
  for (const r of rows) {
    const i = index.get(text(target, r))
    if (i === undefined)
      throw new SluiceError(
        'INVALID_INPUT',
        `target value "${text(target, r)}" (row ${r + 1}) is not a class the model knows (${classes.join(', ')})`,
      )
    yTrue[r] = i
  }
  const p = probs.data as Float32Array
  const label = roles.label ? outputs[roles.label.name]! : null
  // sluice's models label by class index; other converters label by the class itself.
  const yPred = Int32Array.from({ length: yTrue.length }, (_, r) => {
    if (!label) {
      let best = 0
      for (let j = 1; j < k; j++) if (p[r * k + j]! > p[r * k + best]!) best = j
      return best
    }
    const v = valueAt(label, r)
    return roles.classes && typeof v === 'number' ? v : (index.get(String(v)) ?? -1)
  })
  const positive = Float64Array.from({ length: yTrue.length }, (_, r) => p[r * k + 1]!)
  return {
    metrics: (rs) => {
      const m = classificationMetrics(
        Int32Array.from(rs, (r) => yTrue[r]!),
        Int32Array.from(rs, (r) => Math.max(0, yPred[r]!)),
        k === 2 ? Float64Array.from(rs, (r) => positive[r]!) : null,
        Math.max(k, classes.length),
      )
      return m as unknown as Record<string, MetricValue>
    },
    predictionFrame: (id, n) =>
      frameFromColumns({
        ...idAndActual(id, target, n),
        label: Array.from({ length: n }, (_, r) => classes[yPred[r]!] ?? null),
        ...Object.fromEntries(
          classes.map((c, j) => [`probability_${c}`, Array.from({ length: n }, (_, r) => p[r * k + j]!)]),
        ),
      }),
  }
}

function regressorScorer(name: string, outputs: Record<string, Output>, target: Column): Scorer {
  if (target.kind !== 'number')
    throw new SluiceError(
      'INVALID_INPUT',
      `target "${target.name}" holds ${target.dtype} values, but the model predicts numbers`,
    )
  const out = outputs[name]!
  const pred = Float64Array.from({ length: target.values.length }, (_, r) => Number(valueAt(out, r)))
  return {
    metrics: (rs) => ({
      ...regressionMetrics(
        Float64Array.from(rs, (r) => target.values[r]!),
        Float64Array.from(rs, (r) => pred[r]!),
      ),
    }),
    predictionFrame: (id, n) =>
      frameFromColumns({
        ...idAndActual(id, target, n),
        prediction: Array.from(pred.subarray(0, n)),
      }),
  }
}

/** The leading columns of a predictions file: the row id (or `row`, the row number) and the true value. */
function idAndActual(id: Column | undefined, target: Column, n: number): Record<string, CellValue[]> {
  return {
    ...(id
      ? { [id.name]: Array.from({ length: n }, (_, r) => cell(id, r)) }
      : { row: Array.from({ length: n }, (_, r) => r) }),
    actual: Array.from({ length: n }, (_, r) => cell(target, r)),
  }
}

function sliceMetrics(
  c: Column,
  rows: number[],
  metrics: Scorer['metrics'],
): Record<string, Record<string, MetricValue>> {
  const groups = new Map<string, number[]>()
  for (const r of rows) {
    const key = c.missing[r] ? '(missing)' : String(cell(c, r))
    const g = groups.get(key)
    if (g) g.push(r)
    else groups.set(key, [r])
    if (groups.size > MAX_SLICES) {
      throw new SluiceError(
        'INVALID_INPUT',
        `column "${c.name}" has more than ${MAX_SLICES} distinct values; slice by a column with fewer (a category, an hour, a region…)`,
      )
    }
  }
  return Object.fromEntries([...groups.keys()].sort().map((k) => [k, metrics(groups.get(k)!)]))
}

/** Single-row prediction latency over a seeded sample of rows (after one warm-up call). */
async function latency(
  model: OnnxModel,
  frame: Frame,
  samples: number,
): Promise<{ p50: number; p99: number }> {
  const rng = new Random(1)
  const picks = Array.from({ length: Math.min(samples, frame.rows) }, () => rng.below(frame.rows))
  const one = (r: number) => takeRows(frame, Uint32Array.of(r))
  await model.predictFrame(one(picks[0] ?? 0))
  const times: number[] = []
  for (const r of picks) {
    const single = one(r)
    const t0 = performance.now()
    await model.predictFrame(single)
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  const at = (q: number) =>
    times.length ? times[Math.min(times.length - 1, Math.floor(q * times.length))]! : 0
  return { p50: round3(at(0.5)), p99: round3(at(0.99)) }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000
