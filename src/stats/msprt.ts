/**
 * Mixture sequential probability ratio test (mSPRT; Johari, Pekelis & Walsh 2017, "Always valid
 * inference") for the difference of two arms' means. Its p-value may be looked at after every
 * batch of data without inflating the false-positive rate, unlike a fixed-horizon z-test.
 */

/** Summary of one arm: count, mean and (population or sample) variance of the per-request metric. */
export interface ArmSummary {
  n: number
  mean: number
  variance: number
}

export interface MsprtResult {
  /** Estimated difference treatment.mean − control.mean. */
  difference: number
  /** Mixture likelihood ratio Λ of H1 (θ ~ N(θ0, τ²)) against H0 (θ = θ0). */
  likelihoodRatio: number
  /** Always-valid p-value for this look: min(1, 1/Λ). Callers keep the running minimum across looks. */
  pValue: number
}

/**
 * Tests H0: treatment.mean − control.mean = theta0 (default 0) with the normal mixture N(theta0, tau2)
 * over the difference, on its normal approximation Δ̂ ~ N(θ, V), V = var_C/n_C + var_T/n_T:
 *   Λ = sqrt(V / (V + τ²)) · exp(τ² (Δ̂ − θ0)² / (2 V (V + τ²))).
 * Default tau2 is 0.01 × the pooled variance (arm variances weighted by n): a prior standard deviation
 * of 10% of one per-request standard deviation, the size of effect A/B tests typically look for (Λ
 * grows fastest for effects near τ). Strictly, the guarantee holds for a τ² fixed before the data;
 * pass tau2 explicitly for that — the default only uses the variances, which settle quickly.
 * With fewer than two observations in an arm, or V = 0, there is no evidence: Λ = 1, pValue = 1.
 */
export function msprt(
  control: ArmSummary,
  treatment: ArmSummary,
  options: { tau2?: number; theta0?: number } = {},
): MsprtResult {
  const difference = treatment.mean - control.mean
  const v = control.variance / control.n + treatment.variance / treatment.n
  if (control.n < 2 || treatment.n < 2 || v === 0) return { difference, likelihoodRatio: 1, pValue: 1 }
  const tau2 =
    options.tau2 ??
    (0.01 * (control.n * control.variance + treatment.n * treatment.variance)) / (control.n + treatment.n)
  if (!(tau2 > 0 && Number.isFinite(tau2))) throw new Error(`msprt needs tau2 > 0 and finite, got ${tau2}`)
  // log Λ = ½ (z² τ²/(V + τ²) − log(1 + τ²/V)) with z² = (Δ̂ − θ0)²/V: no product of small variances
  // underflows, and exp overflows to Infinity (p-value 0) only when Λ truly exceeds a double.
  const z2 = (difference - (options.theta0 ?? 0)) ** 2 / v
  const logLr = 0.5 * ((z2 * tau2) / (v + tau2) - Math.log1p(tau2 / v))
  return { difference, likelihoodRatio: Math.exp(logLr), pValue: Math.min(1, Math.exp(-logLr)) }
}

/** A conversion-style arm: `successes` out of `n` 0/1 outcomes, population variance p(1 − p). */
export function bernoulliArm(n: number, successes: number): ArmSummary {
  if (!(successes >= 0 && successes <= n)) throw new Error(`bernoulliArm: ${successes} successes of ${n}`)
  const p = successes / n
  return { n, mean: p, variance: p * (1 - p) }
}

/** Count, mean and sample variance (n − 1; 0 below two values) in one pass (Welford). Empty → mean NaN. */
export function summarize(values: ArrayLike<number>): ArmSummary {
  let mean = 0
  let m2 = 0
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!
    const delta = x - mean
    mean += delta / (i + 1)
    m2 += delta * (x - mean)
  }
  const n = values.length
  return { n, mean: n === 0 ? Number.NaN : mean, variance: n > 1 ? m2 / (n - 1) : 0 }
}

/** Two summaries of one arm's data as one (Chan et al.'s parallel update; sample variances). */
export function mergeArms(a: ArmSummary, b: ArmSummary): ArmSummary {
  const n = a.n + b.n
  if (a.n === 0) return b
  if (b.n === 0) return a
  const delta = b.mean - a.mean
  const m2 =
    a.variance * Math.max(a.n - 1, 0) + b.variance * Math.max(b.n - 1, 0) + (delta * delta * a.n * b.n) / n
  return { n, mean: a.mean + (delta * b.n) / n, variance: n > 1 ? m2 / (n - 1) : 0 }
}
