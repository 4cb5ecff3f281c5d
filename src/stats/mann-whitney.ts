import type { TestResult } from './contingency.js'
import { pooledRanks } from './ranks.js'
import { normalSf } from './special.js'

/**
 * Mann–Whitney U test, two-sided, as `scipy.stats.mannwhitneyu` with its defaults
 * (continuity correction; exact null distribution when a sample has at most 8 values and there
 * are no ties, otherwise the normal approximation with the tie correction). Samples are sorted.
 * The statistic returned is U of the first sample.
 */
export function mannWhitneyU(x: Float64Array, y: Float64Array): TestResult {
  const n1 = x.length
  const n2 = y.length
  const { rankSumX, tieTerm, hasTies } = pooledRanks(x, y)
  const u1 = rankSumX - (n1 * (n1 + 1)) / 2
  const u2 = n1 * n2 - u1
  const u = Math.max(u1, u2)
  let p: number
  if ((n1 > 8 && n2 > 8) || hasTies) {
    const n = n1 + n2
    const s = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))))
    p = normalSf((u - (n1 * n2) / 2 - 0.5) / s)
  } else {
    p = exactSf(Math.round(u), n1, n2)
  }
  return { statistic: u1, pvalue: Math.min(1, Math.max(0, 2 * p)) }
}

/** P(U ≥ k) under the null, from the exact distribution of U (SciPy's recursion over divisor sums). */
function exactSf(k: number, a: number, b: number): number {
  const n1 = Math.min(a, b)
  const n2 = Math.max(a, b)
  const complement = n1 * n2 - k
  const pmfs = frequencies(Math.max(k, complement), n1, n2)
  const cdf = (upTo: number) => {
    let s = 0
    for (let i = 0; i <= upTo; i++) s += pmfs[i]!
    return s
  }
  return k < complement ? 1 - cdf(k) + pmfs[k]! : cdf(complement)
}

/** P(U = u) for u = 0..maxU. */
function frequencies(maxU: number, n1: number, n2: number): Float64Array {
  const sigma = new Float64Array(maxU + 1)
  for (let d = 1; d <= n1; d++) for (let i = d; i <= maxU; i += d) sigma[i]! += d
  for (let d = n2 + 1; d <= n1 + n2; d++) for (let i = d; i <= maxU; i += d) sigma[i]! -= d
  const conf = new Float64Array(maxU + 1)
  conf[0] = 1
  for (let u = 1; u <= maxU; u++) {
    let s = 0
    for (let i = 0; i < u; i++) s += conf[i]! * sigma[u - i]!
    conf[u] = s / u
  }
  let total = 1
  for (let i = 1; i <= n1; i++) total = (total * (n2 + i)) / i // binom(n1 + n2, n1)
  return conf.map((c) => c / total)
}
