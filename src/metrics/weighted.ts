import { SluiceError } from '../core/errors.js'
import { labelMetrics } from './classification.js'

/**
 * Metrics over rows that carry weights, for bootstrap resamples given as per-row counts: with
 * integer weights each value equals the plain metric on the rows repeated that many times, and
 * with all weights 1 it equals the plain metric. Everything that does not depend on the weights
 * (the order by score, per-row losses) is prepared once, so each call is one O(n) pass.
 */
export type WeightedScorer = (weights: ArrayLike<number>) => Record<string, number>

export const WEIGHTED_LABEL_METRICS = [
  'accuracy',
  'precision',
  'recall',
  'f1',
  'f1_macro',
  'f1_micro',
  'f1_weighted',
] as const
/** Need the positive-class probability of a binary classifier. */
export const WEIGHTED_PROBABILITY_METRICS = [
  'roc_auc',
  'average_precision',
  'log_loss',
  'brier_score',
] as const
export const WEIGHTED_REGRESSION_METRICS = ['mae', 'rmse', 'r2', 'mape'] as const

export interface ClassifiedRows {
  /** Class indices 0..classes−1. */
  yTrue: ArrayLike<number>
  yPred: ArrayLike<number>
  /** P(class 1) per row for binary problems, else null. */
  positiveProba: ArrayLike<number> | null
  classes: number
}

export function weightedClassificationScorer(rows: ClassifiedRows, names: readonly string[]): WeightedScorer {
  const labels = names.filter((m) => (WEIGHTED_LABEL_METRICS as readonly string[]).includes(m))
  const ranking = names.includes('roc_auc') || names.includes('average_precision')
  const unknown = names.filter(
    (m) => !labels.includes(m) && !(WEIGHTED_PROBABILITY_METRICS as readonly string[]).includes(m),
  )
  if (unknown.length) throw unsupported(unknown, [...WEIGHTED_LABEL_METRICS, ...WEIGHTED_PROBABILITY_METRICS])
  const p = rows.positiveProba
  if (!p && labels.length < names.length) {
    throw new SluiceError(
      'INVALID_INPUT',
      `${names.filter((m) => !labels.includes(m)).join(', ')} need the probabilities of a binary classifier`,
    )
  }
  const n = rows.yTrue.length
  const k = rows.classes
  const y = Uint8Array.from({ length: n }, (_, i) => (rows.yTrue[i] === 1 ? 1 : 0))
  // The confusion-matrix cell of each row, so a pass over the weights is one add per row.
  const cellOf = labels.length
    ? Int32Array.from({ length: n }, (_, i) => rows.yTrue[i]! * k + rows.yPred[i]!)
    : null
  const sorted = ranking && p ? sortedByScore(y, p) : null
  const losses = p && names.includes('log_loss') ? perRow(n, (i) => rowLogLoss(y[i]!, p[i]!)) : null
  const squares = p && names.includes('brier_score') ? perRow(n, (i) => (p[i]! - y[i]!) ** 2) : null

  return (w) => {
    const out: Record<string, number> = {}
    if (cellOf) {
      const cells = new Float64Array(k * k)
      for (let i = 0; i < n; i++) {
        const c = cellOf[i]!
        cells[c] = cells[c]! + w[i]!
      }
      const cm = Array.from({ length: k }, (_, t) => Array.from(cells.subarray(t * k, (t + 1) * k)))
      const all = labelMetrics(cm)
      for (const m of labels) out[m] = all[m as keyof typeof all]
    }
    if (sorted) Object.assign(out, ranked(sorted, w))
    const total = losses || squares ? sum(w) : 0
    if (losses) out.log_loss = dot(losses, w) / total
    if (squares) out.brier_score = dot(squares, w) / total
    return Object.fromEntries(names.map((m) => [m, out[m]!]))
  }
}

export function weightedRegressionScorer(
  rows: { yTrue: ArrayLike<number>; yPred: ArrayLike<number> },
  names: readonly string[],
): WeightedScorer {
  const unknown = names.filter((m) => !(WEIGHTED_REGRESSION_METRICS as readonly string[]).includes(m))
  if (unknown.length) throw unsupported(unknown, WEIGHTED_REGRESSION_METRICS)
  const { yTrue, yPred } = rows
  const n = yTrue.length
  const abs = perRow(n, (i) => Math.abs(yTrue[i]! - yPred[i]!))
  const pct = perRow(n, (i) => abs[i]! / Math.max(Math.abs(yTrue[i]!), Number.EPSILON))
  return (w) => {
    const total = sum(w)
    const mean = dot(yTrue, w) / total
    let sq = 0
    let spread = 0
    for (let i = 0; i < n; i++) {
      sq += w[i]! * abs[i]! * abs[i]!
      spread += w[i]! * (yTrue[i]! - mean) ** 2
    }
    const all: Record<string, number> = {
      mae: dot(abs, w) / total,
      rmse: Math.sqrt(sq / total),
      // A constant target: scikit-learn gives 1 for a perfect fit, 0 otherwise.
      r2: spread === 0 ? (sq === 0 ? 1 : 0) : 1 - sq / spread,
      mape: dot(pct, w) / total,
    }
    return Object.fromEntries(names.map((m) => [m, all[m]!]))
  }
}

interface Sorted {
  /** Row indices by decreasing score. */
  order: Uint32Array
  /** The label of each row, in that order. */
  y: Uint8Array
  /** 1 at the last row of each run of equal scores: ROC and PR curves only step between distinct scores. */
  last: Uint8Array
}

function sortedByScore(y: Uint8Array, scores: ArrayLike<number>): Sorted {
  const n = y.length
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b)
  const last = Uint8Array.from({ length: n }, (_, k) =>
    k === n - 1 || scores[order[k + 1]!] !== scores[order[k]!] ? 1 : 0,
  )
  return { order, y: Uint8Array.from(order, (i) => y[i]!), last }
}

/** Weighted ROC AUC (trapezoids, as roc_auc_score with sample_weight) and average precision. */
function ranked(s: Sorted, w: ArrayLike<number>): { roc_auc: number; average_precision: number } {
  const { order, y, last } = s
  let tp = 0
  let fp = 0
  let prevTp = 0
  let prevFp = 0
  let area = 0
  let precisionSum = 0
  for (let k = 0; k < order.length; k++) {
    const wk = w[order[k]!]!
    if (y[k]) tp += wk
    else fp += wk
    if (last[k]) {
      area += (fp - prevFp) * (tp + prevTp)
      // Average precision Σ ΔR·P with ΔR = Δtp / positives: the division waits for the final count.
      if (tp > prevTp) precisionSum += (tp - prevTp) * (tp / (tp + fp))
      prevTp = tp
      prevFp = fp
    }
  }
  return {
    roc_auc: tp > 0 && fp > 0 ? area / (2 * tp * fp) : Number.NaN,
    average_precision: tp > 0 ? precisionSum / tp : Number.NaN,
  }
}

function rowLogLoss(y: number, p: number): number {
  const q = Math.min(1 - Number.EPSILON, Math.max(Number.EPSILON, p))
  return y ? -Math.log(q) : -Math.log1p(-q)
}

function perRow(n: number, f: (i: number) => number): Float64Array {
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = f(i)
  return out
}

function sum(w: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < w.length; i++) s += w[i]!
  return s
}

function dot(a: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * w[i]!
  return s
}

function unsupported(names: string[], known: readonly string[]): SluiceError {
  return new SluiceError(
    'INVALID_INPUT',
    `no resampled version of ${names.join(', ')}; available: ${known.join(', ')}`,
  )
}
