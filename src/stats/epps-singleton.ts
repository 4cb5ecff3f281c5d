import type { TestResult } from './contingency.js'
import { symmetricEigen } from './linalg.js'
import { chi2Sf } from './special.js'

const T = [0.4, 0.8]

/**
 * Epps–Singleton two-sample test on the empirical characteristic function at t = (0.4, 0.8),
 * as `scipy.stats.epps_singleton_2samp`: the points are scaled by half the pooled interquartile
 * range, the covariance estimate is pseudo-inverted, and W is referred to a chi-square with as
 * many degrees of freedom as that matrix's rank, with the small-sample correction below 25
 * values. Samples need at least 5 values each and a pooled interquartile range above zero.
 */
export function eppsSingleton2Samp(x: Float64Array, y: Float64Array): TestResult {
  const nx = x.length
  const ny = y.length
  if (nx < 5 || ny < 5)
    throw new Error(`es needs at least 5 values in each sample (reference ${nx}, current ${ny})`)
  const n = nx + ny
  const sigma = pooledIqr(x, y) / 2
  if (!(sigma > 0)) throw new Error('es needs a pooled interquartile range above zero')
  const ts = T.map((t) => t / sigma)
  const features = (s: Float64Array) => {
    const g = ts.flatMap(() => [new Float64Array(s.length), new Float64Array(s.length)])
    // Rows: cos(t1 x), cos(t2 x), sin(t1 x), sin(t2 x) — SciPy's order.
    for (let i = 0; i < s.length; i++) {
      ts.forEach((t, k) => {
        g[k]![i] = Math.cos(t * s[i]!)
        g[ts.length + k]![i] = Math.sin(t * s[i]!)
      })
    }
    return g
  }
  const gx = features(x)
  const gy = features(y)
  const d = gx.length
  const mean = (rows: Float64Array[]) => rows.map((r) => r.reduce((s, v) => s + v, 0) / r.length)
  const mx = mean(gx)
  const my = mean(gy)
  /** Biased covariance (divided by the sample size). */
  const cov = (rows: Float64Array[], mu: number[]) => {
    const len = rows[0]!.length
    const c = Array.from({ length: d }, () => new Float64Array(d))
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        let s = 0
        for (let i = 0; i < len; i++) s += (rows[a]![i]! - mu[a]!) * (rows[b]![i]! - mu[b]!)
        c[a]![b] = c[b]![a] = s / len
      }
    }
    return c
  }
  const cx = cov(gx, mx)
  const cy = cov(gy, my)
  const est = cx.map((row, a) => row.map((v, b) => (n / nx) * v + (n / ny) * cy[a]![b]!))
  const { values, vectors } = symmetricEigen(est)
  const largest = Math.max(...values.map(Math.abs))
  // numpy's pinv cutoff (rcond 1e-15) and matrix_rank tolerance (σ_max · size · ε) on the inverse.
  const kept = values.map((v) => Math.abs(v) > 1e-15 * largest)
  const inverseValues = values.map((v, i) => (kept[i] ? 1 / v : 0))
  const maxInverse = Math.max(...inverseValues.map(Math.abs))
  const rank = inverseValues.filter((v) => Math.abs(v) > maxInverse * d * Number.EPSILON).length
  const diff = mx.map((v, i) => v - my[i]!)
  let w = 0
  for (let k = 0; k < d; k++) {
    let proj = 0
    for (let i = 0; i < d; i++) proj += vectors[i]![k]! * diff[i]!
    w += inverseValues[k]! * proj * proj
  }
  w *= n
  if (Math.max(nx, ny) < 25) w /= 1 + n ** -0.45 + 10.1 * (nx ** -1.7 + ny ** -1.7)
  return { statistic: w, pvalue: chi2Sf(w, rank) }
}

/** Interquartile range of the pooled sorted samples, linear interpolation (NumPy's default). */
function pooledIqr(x: Float64Array, y: Float64Array): number {
  const pooled = new Float64Array(x.length + y.length)
  pooled.set(x)
  pooled.set(y, x.length)
  pooled.sort()
  const q = (p: number) => {
    const pos = (pooled.length - 1) * p
    const lo = Math.floor(pos)
    const hi = Math.min(lo + 1, pooled.length - 1)
    return pooled[lo]! + (pos - lo) * (pooled[hi]! - pooled[lo]!)
  }
  return q(0.75) - q(0.25)
}
