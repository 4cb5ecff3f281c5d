import type { TestResult } from './contingency.js'
import { studentTSf } from './special.js'

/**
 * Student's two-sample t-test with pooled variance, two-sided (`scipy.stats.ttest_ind`, the
 * default equal_var=True, which Evidently uses). Two constant samples give NaN.
 */
export function tTestPooled(x: Float64Array, y: Float64Array): TestResult {
  const n1 = x.length
  const n2 = y.length
  const [m1, v1] = meanVar(x)
  const [m2, v2] = meanVar(y)
  const df = n1 + n2 - 2
  const pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
  const t = (m1 - m2) / Math.sqrt(pooled * (1 / n1 + 1 / n2))
  return { statistic: t, pvalue: Number.isNaN(t) ? Number.NaN : Math.min(1, 2 * studentTSf(Math.abs(t), df)) }
}

/** Mean and unbiased variance (ddof 1), two-pass. */
function meanVar(x: Float64Array): [number, number] {
  let mean = 0
  for (const v of x) mean += v
  mean /= x.length
  let ss = 0
  for (const v of x) ss += (v - mean) ** 2
  return [mean, ss / (x.length - 1)]
}
