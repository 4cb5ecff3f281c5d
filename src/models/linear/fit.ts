import type { TrainingData } from '../dataset.js'
import { addTransposeTimes, buildDesign, linearPredict, numericColumns } from './design.js'
import { minimizeLbfgs } from './lbfgs.js'

export interface LogisticParams {
  /** Inverse regularisation strength (scikit-learn's C): minimises C·Σ log loss + ½‖w‖². */
  C: number
  max_iter: number
  tol: number
}
export const LOGISTIC_DEFAULTS: LogisticParams = { C: 1, max_iter: 200, tol: 1e-6 }

export interface LinearParams {
  /** Ridge penalty (scikit-learn's alpha): minimises ‖y − Xw − b‖² + alpha·‖w‖². */
  alpha: number
}
export const LINEAR_DEFAULTS: LinearParams = { alpha: 1 }

export interface LinearFit {
  weights: Float64Array
  intercept: number
  means: number[]
  stds: number[]
  iterations: number
}

/** L2-regularised logistic regression by L-BFGS; the intercept is not penalised. */
export function fitLogistic(data: TrainingData, rows: Uint32Array, params: LogisticParams): LinearFit {
  const d = buildDesign(data, rows)
  const cols = numericColumns(data, d)
  const y = Float64Array.from(rows, (r) => data.y[r]!)
  const z = new Float64Array(d.rows)
  const resid = new Float64Array(d.rows)
  const w = new Float64Array(d.width)
  // Parameters: weights then intercept. Scaled by 1/n so tolerances do not depend on the data size.
  const objective = (x: Float64Array, grad: Float64Array): number => {
    w.set(x.subarray(0, d.width))
    const b = x[d.width]!
    linearPredict(d, cols, w, b, z)
    let loss = 0
    let gb = 0
    for (let k = 0; k < d.rows; k++) {
      const zk = z[k]!
      loss += (zk > 0 ? zk + Math.log1p(Math.exp(-zk)) : Math.log1p(Math.exp(zk))) - y[k]! * zk
      const p = 1 / (1 + Math.exp(-zk))
      resid[k] = p - y[k]!
      gb += resid[k]!
    }
    grad.fill(0)
    addTransposeTimes(d, cols, resid, grad)
    let penalty = 0
    for (let i = 0; i < d.width; i++) {
      penalty += x[i]! * x[i]!
      grad[i] = (params.C * grad[i]! + x[i]!) / d.rows
    }
    grad[d.width] = (params.C * gb) / d.rows
    return (params.C * loss + 0.5 * penalty) / d.rows
  }
  const result = minimizeLbfgs(objective, new Float64Array(d.width + 1), {
    maxIter: params.max_iter,
    tol: params.tol,
  })
  return {
    weights: result.x.slice(0, d.width),
    intercept: result.x[d.width]!,
    means: d.means,
    stds: d.stds,
    iterations: result.iterations,
  }
}

/** Ridge regression by the normal equations on centred data (Cholesky); the intercept is not penalised. */
export function fitLinear(data: TrainingData, rows: Uint32Array, params: LinearParams): LinearFit {
  const d = buildDesign(data, rows)
  const cols = numericColumns(data, d)
  const D = d.width
  const xMean = new Float64Array(D)
  const y = Float64Array.from(rows, (r) => data.y[r]!)
  const yMean = y.reduce((s, v) => s + v, 0) / d.rows
  const rowCols = (k: number, visit: (col: number, value: number) => void) => {
    for (let j = 0; j < d.numeric; j++) visit(cols[j]!, d.dense[k * d.numeric + j]!)
    for (let j = 0; j < d.categorical; j++) {
      const c = d.active[k * d.categorical + j]!
      if (c >= 0) visit(c, 1)
    }
  }
  for (let k = 0; k < d.rows; k++) rowCols(k, (c, v) => (xMean[c]! += v / d.rows))
  // XᵀX and Xᵀy of the raw design, then centred: XcᵀXc = XᵀX − n·x̄x̄ᵀ.
  const A = new Float64Array(D * D)
  const rhs = new Float64Array(D)
  const entries: [number, number][] = []
  for (let k = 0; k < d.rows; k++) {
    entries.length = 0
    rowCols(k, (c, v) => entries.push([c, v]))
    for (const [a, va] of entries) {
      rhs[a]! += va * (y[k]! - yMean)
      for (const [b, vb] of entries) A[a * D + b]! += va * vb
    }
  }
  for (let a = 0; a < D; a++) {
    for (let b = 0; b < D; b++) A[a * D + b]! -= d.rows * xMean[a]! * xMean[b]!
    A[a * D + a]! += params.alpha
  }
  const w = choleskySolve(A, rhs, D)
  let intercept = yMean
  for (let a = 0; a < D; a++) intercept -= xMean[a]! * w[a]!
  return { weights: w, intercept, means: d.means, stds: d.stds, iterations: 1 }
}

/** Solves A·x = b for a symmetric positive-definite A (in place). */
function choleskySolve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let s = A[j * n + j]!
    for (let k = 0; k < j; k++) s -= A[j * n + k]! ** 2
    const diag = Math.sqrt(Math.max(s, 1e-300))
    A[j * n + j] = diag
    for (let i = j + 1; i < n; i++) {
      let t = A[i * n + j]!
      for (let k = 0; k < j; k++) t -= A[i * n + k]! * A[j * n + k]!
      A[i * n + j] = t / diag
    }
  }
  const x = Float64Array.from(b)
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) x[i]! -= A[i * n + k]! * x[k]!
    x[i]! /= A[i * n + i]!
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) x[i]! -= A[k * n + i]! * x[k]!
    x[i]! /= A[i * n + i]!
  }
  return x
}
