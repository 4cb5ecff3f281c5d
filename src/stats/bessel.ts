/**
 * Modified Bessel function of the second kind K_ν(x) for x > 0, from its integral
 * K_ν(x) = ∫₀^∞ exp(−x·cosh t)·cosh(νt) dt by the trapezoidal rule, which converges
 * exponentially fast for this smooth, doubly exponentially decaying integrand.
 */
export function besselK(nu: number, x: number): number {
  const h = 0.02
  let sum = 0.5 * Math.exp(-x)
  for (let i = 1; i < 100_000; i++) {
    const t = i * h
    const term = Math.exp(-x * Math.cosh(t)) * Math.cosh(nu * t)
    sum += term
    if (term < sum * 1e-18) break
  }
  return sum * h
}
