import type { TestResult } from './contingency.js'
import { kolmogorovSf } from './kolmogorov.js'
import { roundHalfEven } from './round.js'

/** Samples up to this size get the exact p-value (SciPy's MAX_AUTO_N). */
export const KS_EXACT_MAX = 10_000

/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as `scipy.stats.ks_2samp` with method 'auto':
 * exact lattice-path probabilities when both samples have at most 10 000 values (falling back to
 * the asymptotic form if they cannot be computed), otherwise `kstwo.sf(D, round(m·n/(m+n)))`.
 * Samples are sorted.
 */
export function ks2Samp(x: Float64Array, y: Float64Array): TestResult {
  const n1 = x.length
  const n2 = y.length
  let d = statistic(x, y)
  if (Math.max(n1, n2) <= KS_EXACT_MAX) {
    const g = gcd(n1, n2)
    const lcm = (n1 / g) * n2
    const h = roundHalfEven(d * lcm)
    d = h / lcm
    if (h === 0) return { statistic: d, pvalue: 1 }
    const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h)
    if (Number.isFinite(p) && p >= 0 && p <= 1) return { statistic: d, pvalue: p }
  }
  const en = (n1 * n2) / (n1 + n2)
  return { statistic: d, pvalue: Math.min(1, Math.max(0, kolmogorovSf(roundHalfEven(en), d))) }
}

/** max |F_x − F_y| over the pooled values, by one merge. */
function statistic(x: Float64Array, y: Float64Array): number {
  let i = 0
  let j = 0
  let d = 0
  while (i < x.length || j < y.length) {
    const v = j >= y.length || (i < x.length && x[i]! <= y[j]!) ? x[i]! : y[j]!
    while (i < x.length && x[i] === v) i++
    while (j < y.length && y[j] === v) j++
    d = Math.max(d, Math.abs(i / x.length - j / y.length))
  }
  return d
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))

/** P(D_{n,n} ≥ h/n) for equal sample sizes, by a Horner-like alternating sum. */
function probOutsideSquare(n: number, h: number): number {
  let p = 0
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1)
    p = p1 * (1 - p)
  }
  return 2 * p
}

/**
 * The share of lattice paths from (0, 0) to (m, n) that leave the band |x/m − y/n| < h/lcm,
 * computed directly (Hodges' inside method rearranged for 1 − p, Viehmann 2021).
 */
function outerProbInside(mIn: number, nIn: number, g: number, h: number): number {
  const m = Math.max(mIn, nIn)
  const n = Math.min(mIn, nIn)
  const mg = m / g
  const ng = n / g
  let minj = 0
  let maxj = Math.min(Math.ceil(h / mg), n + 1)
  let curlen = maxj - minj
  const lenA = Math.min(2 * maxj + 2, n + 1)
  const A = new Float64Array(lenA).fill(1)
  A.fill(0, minj, maxj)
  for (let i = 1; i <= m; i++) {
    const lastminj = minj
    const lastlen = curlen
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n)
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1)
    if (maxj <= minj) return 1
    let val = minj === 0 ? 0 : 1
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j)
      A[jj] = val
    }
    curlen = maxj - minj
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen))
  }
  return A[maxj - minj - 1]!
}
