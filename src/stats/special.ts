/**
 * Special functions the tests' p-values need, accurate to about 1e-14 relative in the ranges the
 * tests use (checked against SciPy in special.test.ts): log-gamma, the regularised incomplete
 * gamma and beta functions, and through them the normal, chi-square and Student t tails.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
]

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x)
  const z = x - 1
  let a = LANCZOS[0]!
  const t = z + 7.5
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i)
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

const EPS = 1e-16
const TINY = 1e-300
const MAX_ITER = 10_000

/** Regularised lower incomplete gamma P(a, x) by its series (converges fast for x < a + 1). */
function gammaSeries(a: number, x: number): number {
  let sum = 1 / a
  let term = sum
  for (let n = 1; n < MAX_ITER; n++) {
    term *= x / (a + n)
    sum += term
    if (Math.abs(term) < Math.abs(sum) * EPS) break
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a))
}

/** Regularised upper incomplete gamma Q(a, x) by its continued fraction (modified Lentz; x ≥ a + 1). */
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a
  let c = 1 / TINY
  let d = 1 / b
  let h = d
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < TINY) d = TINY
    c = b + an / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < EPS) break
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h
}

/** Q(a, x) = Γ(a, x) / Γ(a), the upper tail. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1
  if (!Number.isFinite(x)) return 0
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x)
}

/** P(a, x) = γ(a, x) / Γ(a), the lower tail. */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0
  if (!Number.isFinite(x)) return 1
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x)
}

/** Survival function of the chi-square distribution with k degrees of freedom. */
export function chi2Sf(x: number, k: number): number {
  return gammaQ(k / 2, x / 2)
}

/** erfc(x), through Q(1/2, x²) for x ≥ 0. */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x)
  return gammaQ(0.5, x * x)
}

/** P(Z > z) for a standard normal Z, accurate far into the tail. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2)
}

export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2)
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b
  const qap = a + 1
  const qam = a - 1
  let c = 1
  let d = 1 - (qab * x) / qap
  if (Math.abs(d) < TINY) d = TINY
  d = 1 / d
  let h = d
  for (let m = 1; m < MAX_ITER; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < TINY) d = TINY
    c = 1 + aa / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2))
    d = 1 + aa * d
    if (Math.abs(d) < TINY) d = TINY
    c = 1 + aa / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < EPS) break
  }
  return h
}

/** Regularised incomplete beta I_x(a, b). */
export function betaInc(a: number, b: number, x: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x))
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b
}

/** P(T > t) for Student's t with `df` degrees of freedom. */
export function studentTSf(t: number, df: number): number {
  if (Number.isNaN(t)) return Number.NaN
  if (!Number.isFinite(df)) return normalSf(t)
  const tail = 0.5 * betaInc(df / 2, 0.5, df / (df + t * t))
  return t > 0 ? tail : 1 - tail
}
