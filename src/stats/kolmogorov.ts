/**
 * The distribution of the two-sided one-sample Kolmogorov–Smirnov statistic D_n, survival
 * function P(D_n ≥ x) for finite n, following SciPy's `kstwo` (Simard & L'Ecuyer 2011): exact
 * formulas at the extremes, the Durbin matrix (Marsaglia–Tsang–Wang) and Pomeranz recursions for
 * small n·x², Pelz–Good's asymptotic series otherwise, and 2·P(D⁺_n ≥ x) (Birnbaum–Tingey) in
 * the tail.
 */

const E128 = 2 ** 128
const EM128 = 2 ** -128
const clip = (p: number) => Math.min(1, Math.max(0, p))

export function kolmogorovSf(n: number, x: number): number {
  if (x >= 1) return 0
  if (x <= 0) return 1
  const t = n * x
  if (t <= 1) {
    if (t <= 0.5) return 1
    const cdf =
      n <= 140
        ? productOf(n, (i) => (i / n) * (2 * t - 1))
        : Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1))
    return clip(1 - cdf)
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n)
  if (x >= 0.5) return clip(2 * smirnov(n, x))
  const nx2 = t * x
  if (n <= 140) {
    if (nx2 <= 0.754693) return clip(1 - durbinMatrixCdf(n, x))
    if (nx2 <= 4) return clip(1 - pomeranzCdf(n, x))
    return clip(2 * smirnov(n, x))
  }
  if (nx2 >= 370) return 0
  if (nx2 >= 2.2) return clip(2 * smirnov(n, x))
  if (nx2 >= 18) return 0
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinMatrixCdf(n, x) : pelzGoodCdf(n, x)
  return clip(1 - cdf)
}

function productOf(n: number, f: (i: number) => number): number {
  let p = 1
  for (let i = 1; i <= n; i++) p *= f(i)
  return p
}

/** B_2j / (2j(2j − 1)) for j = 8 … 1 (Bernoulli numbers), highest power first. */
const STIRLING = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12]

/** ln(n! / nⁿ) by Stirling's series, with n·ln n removed up front. */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n
  let poly = 0
  for (const c of STIRLING) poly = poly * (rn / n) + c
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly
}

/**
 * P(D⁺_n ≥ x), the one-sided Smirnov tail, by the Birnbaum–Tingey sum
 * x·Σ_j C(n, j)(x + j/n)^(j−1)(1 − x − j/n)^(n−j), its terms formed in logarithms.
 */
export function smirnov(n: number, x: number): number {
  if (x <= 0) return 1
  if (x >= 1) return 0
  if (n === 1) return 1 - x
  if (n * x <= 1) return 1 - x * (1 + x) ** (n - 1)
  if (x >= 1 - 1 / n) return (1 - x) ** n
  const jmax = Math.floor(n * (1 - x))
  let logC = 0
  let s = 0
  for (let j = 0; j <= jmax; j++) {
    if (j > 0) logC += Math.log((n - j + 1) / j)
    const a = x + j / n
    if (1 - a <= 0) break
    const term = Math.exp(logC + (j - 1) * Math.log(a) + (n - j) * Math.log1p(-a))
    s += term
    if (j > 10 && term < 1e-17 * s) break
  }
  return x * s
}

/** P(D_n ≤ d) by the Durbin matrix, powered by squaring with rescaling (Marsaglia, Tsang & Wang 2003). */
function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1
  const nd = n * d
  if (nd <= 0.5) return 0
  const k = Math.ceil(nd)
  const h = k - nd
  const m = 2 * k - 1
  const v = new Float64Array(m)
  const w = new Float64Array(m)
  let fac = 1
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac
    fac /= j
    v[j - 1] = (1 - h ** j) * fac
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m
  v[m - 1] = (1 + tt) * fac
  let H: Float64Array = new Float64Array(m * m)
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)]!
  for (let r = 0; r < m; r++) H[r * m] = v[r]!
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!

  let power: Float64Array = new Float64Array(m * m)
  for (let i = 0; i < m; i++) power[i * m + i] = 1
  let exponent = 0
  let hExponent = 0
  for (let nn = n; nn > 0; nn = Math.floor(nn / 2)) {
    if (nn % 2) {
      power = matmul(power, H, m)
      exponent += hExponent
    }
    H = matmul(H, H, m)
    hExponent *= 2
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > E128) {
      for (let i = 0; i < H.length; i++) H[i]! /= E128
      hExponent += 128
    }
  }
  let p = power[(k - 1) * m + (k - 1)]!
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n
    if (Math.abs(p) < EM128) {
      p *= E128
      exponent -= 128
    }
  }
  return clip(p * 2 ** exponent)
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m)
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!
      if (aik === 0) continue
      for (let j = 0; j < m; j++) out[i * m + j]! += aik * b[k * m + j]!
    }
  }
  return out
}

/** P(D_n ≤ x) by Pomeranz's recursion (1974). */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x
  const ll = Math.floor(t)
  const f = t - ll
  const g = Math.min(f, 1 - f)
  const ceilf = f > 0 ? 1 : 0
  const roundf = f > 0.5 ? 1 : 0
  const npwrs = 2 * (ll + 1)
  const gpower = new Float64Array(npwrs)
  const twogpower = new Float64Array(npwrs)
  const onem2gpower = new Float64Array(npwrs)
  gpower[0] = twogpower[0] = onem2gpower[0] = 1
  for (let i = 1; i < npwrs; i++) {
    gpower[i] = (gpower[i - 1]! * (g / n)) / i
    twogpower[i] = (twogpower[i - 1]! * ((2 * g) / n)) / i
    onem2gpower[i] = (onem2gpower[i - 1]! * ((1 - 2 * g) / n)) / i
  }
  let V0 = new Float64Array(npwrs)
  let V1 = new Float64Array(npwrs)
  V1[0] = 1
  let V0s = 0
  let V1s = 0
  let exponent = 0
  let [j1, j2] = pomeranzBounds(0, n, ll, ceilf, roundf)
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1
    ;[V0, V1] = [V1, V0]
    ;[V0s, V1s] = [V1s, V0s]
    V1.fill(0)
    ;[j1, j2] = pomeranzBounds(i, n, ll, ceilf, roundf)
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower
    const ln2 = j2 - k1 + 1
    if (ln2 > 0) {
      const convStart = j1 - k1
      const convLen = j2 - j1 + 1
      // Entries convStart .. convStart+convLen of the full convolution of V0[k1−V0s …] with pwrs.
      for (let o = 0; o < convLen; o++) {
        const idx = convStart + o
        let s = 0
        for (let a = Math.max(0, idx - (ln2 - 1)); a <= Math.min(idx, ln2 - 1); a++)
          s += V0[k1 - V0s + a]! * pwrs[idx - a]!
        V1[o] = s
      }
      let max = 0
      for (let o = 0; o < convLen; o++) max = Math.max(max, V1[o]!)
      if (max > 0 && max < EM128) {
        for (let o = 0; o < npwrs; o++) V1[o]! *= E128
        exponent -= 128
      }
      V1s = V0s + j1 - k1
    }
  }
  let ans = V1[n - V1s]!
  for (let i = 1; i <= n; i++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128
      exponent += 128
    }
    ans *= i
  }
  return clip(ans * 2 ** exponent)
}

function pomeranzBounds(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number
  let j2: number
  if (i === 0) {
    j1 = -ll - ceilf - 1
    j2 = ll + ceilf - 1
  } else {
    const half = Math.floor((i + 1) / 2)
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1
        j2 = n + ll + ceilf - 1
      } else {
        j1 = half - 1 - ll - roundf - 1
        j2 = half + ll - 1 + ceilf - 1
      }
    } else {
      j1 = half - 1 - ll - 1
      j2 = half + ll + roundf - 1
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)]
}

/** Pelz & Good's (1976) approximation of P(D_n ≤ x). */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const z = Math.sqrt(n) * x
  const z2 = z * z
  const z3 = z2 * z
  const z4 = z2 * z2
  const z6 = z4 * z2
  const PI2 = Math.PI ** 2
  const PI4 = Math.PI ** 4
  const PI6 = Math.PI ** 6
  const qlog = -PI2 / 8 / z2
  if (qlog < -708) return 0
  let q = Math.exp(qlog)
  const k1a = -z2
  const k1b = PI2 / 4
  const k2a = 6 * z6 + 2 * z4
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4
  const k2c = (PI4 * (1 - 2 * z2)) / 16
  const k3d = (PI6 * (5 - 30 * z2)) / 64
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4
  const k3a = -30 * z6 - 90 * z ** 8
  const K = [0, 0, 0, 0]
  const maxk = Math.ceil((16 * z) / Math.PI)
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1
    const m2 = m * m
    const m4 = m2 * m2
    const m6 = m4 * m2
    const qpower = q ** (8 * k)
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6]
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qpower + coeffs[i]!
  }
  const SQRT2PI = Math.sqrt(2 * Math.PI)
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10]
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT2PI) / div[i]!
  q = Math.exp(-PI2 / 2 / z2)
  let k2extra = 0
  let k3extra = 0
  const sqrt3z = Math.sqrt(3) * z
  for (let k = maxk; k > 0; k--) {
    const kq = k * k * q ** (k * k)
    k2extra += kq
    const kspi = Math.PI * k
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * kq
  }
  K[2]! += (k2extra * PI2 * SQRT2PI) / (-36 * z3)
  K[3]! += (k3extra * PI2 * SQRT2PI) / (216 * z6)
  let sum = 0
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2)
  return sum
}
