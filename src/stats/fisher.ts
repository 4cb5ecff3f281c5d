import type { TestResult } from './contingency.js'

/**
 * Fisher's exact test on the 2×2 table [[a, b], [c, d]], two-sided: the probability, under the
 * hypergeometric distribution with the table's margins, of every table no more likely than the
 * observed one (with SciPy's relative tolerance of 1e-14). The probabilities come from the ratio
 * recurrence around the mode and are normalised at the end, so no factorial is ever formed.
 * A table with an empty row or column gives p = 1. The statistic is the odds ratio.
 * `greater` is SciPy's one-sided alternative: the probability of `a` or more (odds ratio > 1).
 */
export function fisherExact2x2(
  a: number,
  b: number,
  c: number,
  d: number,
  alternative: 'two-sided' | 'greater' = 'two-sided',
): TestResult {
  const oddsRatio = b > 0 && c > 0 ? (a * d) / (b * c) : Number.POSITIVE_INFINITY
  const n1 = a + b // first row
  const n2 = c + d // second row
  const n = a + c // first column
  if (n1 === 0 || n2 === 0 || n === 0 || b + d === 0) return { statistic: Number.NaN, pvalue: 1 }
  const lo = Math.max(0, n - n2)
  const hi = Math.min(n, n1)
  // Relative weights w(x) ∝ C(n1, x)·C(n2, n − x), built outwards from the mode.
  const mode = Math.floor(((n + 1) * (n1 + 1)) / (n1 + n2 + 2))
  const w = new Float64Array(hi - lo + 1)
  w[mode - lo] = 1
  for (let x = mode; x < hi; x++)
    w[x + 1 - lo] = (w[x - lo]! * (n1 - x) * (n - x)) / ((x + 1) * (n2 - n + x + 1))
  for (let x = mode; x > lo; x--)
    w[x - 1 - lo] = (w[x - lo]! * x * (n2 - n + x)) / ((n1 - x + 1) * (n - x + 1))
  let total = 0
  for (const v of w) total += v
  let p = 0
  if (alternative === 'greater') for (let x = a; x <= hi; x++) p += w[x - lo]!
  else {
    const limit = w[a - lo]! * (1 + 1e-14)
    for (const v of w) if (v <= limit) p += v
  }
  return { statistic: oddsRatio, pvalue: Math.min(1, p / total) }
}
