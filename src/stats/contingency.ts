import { chi2Sf, normalSf } from './special.js'

export interface TestResult {
  statistic: number
  pvalue: number
}

/**
 * Pearson's chi-square goodness of fit of observed to expected counts, df = k − 1
 * (`scipy.stats.chisquare`). An expected zero with an observed count gives an infinite statistic.
 */
export function chiSquare(observed: Float64Array, expected: Float64Array): TestResult {
  let x2 = 0
  for (let i = 0; i < observed.length; i++) {
    const d = observed[i]! - expected[i]!
    x2 += (d * d) / expected[i]!
  }
  return { statistic: x2, pvalue: observed.length > 1 ? chi2Sf(x2, observed.length - 1) : Number.NaN }
}

/** The G-test (log-likelihood ratio): G = 2 Σ o·ln(o/e), df = k − 1 (`power_divergence(lambda_="log-likelihood")`). */
export function gTest(observed: Float64Array, expected: Float64Array): TestResult {
  let g = 0
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i]!
    if (o > 0) g += o * Math.log(o / expected[i]!)
  }
  g *= 2
  return { statistic: g, pvalue: observed.length > 1 ? chi2Sf(g, observed.length - 1) : Number.NaN }
}

/**
 * Two-proportion z-test with the pooled proportion, two-sided: `successes1` of `n1` against
 * `successes2` of `n2`. The p-value is 2·(1 − Φ(|z|)), computed as Evidently does (so it reaches
 * exactly 0 for |z| beyond about 8.3).
 */
export function twoProportionZ(successes1: number, n1: number, successes2: number, n2: number): TestResult {
  const p1 = successes1 / n1
  const p2 = successes2 / n2
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
  return { statistic: z, pvalue: 2 * (1 - (1 - normalSf(Math.abs(z)))) }
}
