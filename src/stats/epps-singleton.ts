import type { TestResult } from './contingency.js'
import { symmetricEigen } from './linalg.js'
import { chi2Sf } from './special.js'

const T = [0.4, 0.8]

/**
 * Epps–Singleton two-sample test on the empirical characteristic function at t = (0.4, 0.8),
 * as `scipy.stats.epps_singleton_2samp`: the points are scaled by half the pooled interquartile
 * range, the covariance estimate is pseudo-inverted, and W is referred to a chi-square with as
 * many degrees of freedom as that matrix's rank, with the small-sample correction below 25
 * values. The degrees of freedom are the covariance's structural rank: a sample with k < 5 distinct
 * values gives k − 1 (see the compensated sums below). Samples need at least 5 values each and a pooled interquartile range above zero.
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
  // Compensated sums: a sample with k < 5 distinct values has a covariance of rank k − 1, and its
  // zero eigenvalues must come out below pinv's cutoff (1e-15 of the largest), as they do in NumPy.
  // Plain sums over tens of thousands of rows leave them at about 1e-14 and count noise as freedom.
  const mean = (rows: Float64Array[]) => rows.map((r) => compensatedSum(r.length, (i) => r[i]!) / r.length)
  const mx = mean(gx)
  const my = mean(gy)
  /** Biased covariance (divided by the sample size). */
  const cov = (rows: Float64Array[], mu: number[]) => {
    const len = rows[0]!.length
    const c = Array.from({ length: d }, () => new Float64Array(d))
    for (let a = 0; a < d; a++) {
      const ra = rows[a]!
      for (let b = a; b < d; b++) {
        const rb = rows[b]!
        const s = compensatedSum(len, (i) => (ra[i]! - mu[a]!) * (rb[i]! - mu[b]!))
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
  // SciPy 1.17 pseudo-inverts through the array API (cutoff σ_max · size · ε), then takes the
  // inverse's matrix_rank with the same tolerance.
  const kept = values.map((v) => Math.abs(v) > largest * d * Number.EPSILON)
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

/** Neumaier's compensated sum of term(0) … term(n − 1): exact to about one rounding of the total. */
function compensatedSum(n: number, term: (i: number) => number): number {
  let sum = 0
  let lost = 0
  for (let i = 0; i < n; i++) {
    const v = term(i)
    const t = sum + v
    lost += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum
    sum = t
  }
  return sum + lost
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
