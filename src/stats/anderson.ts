import type { TestResult } from './contingency.js'

const SIGNIFICANCE = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001]
const B0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085]
const B1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615]
const B2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154]

/**
 * The k-sample Anderson–Darling test (Scholz & Stephens 1987), midrank version, as
 * `scipy.stats.anderson_ksamp`: the p-value is interpolated from the critical-value table (a
 * quadratic fit of log significance against the critical values) and clipped to [0.001, 0.25].
 * Samples are sorted. Throws when the pooled sample has fewer than two distinct values.
 */
export function andersonKSamp(samples: Float64Array[]): TestResult {
  const k = samples.length
  const n = samples.map((s) => s.length)
  const N = n.reduce((s, x) => s + x, 0)
  const { values: zstar, counts: lj } = pooledDistinct(samples)
  if (zstar.length < 2) throw new Error('anderson needs more than one distinct value')

  // Bj: number of pooled values below z*_j plus half its ties.
  const B = new Float64Array(zstar.length)
  let below = 0
  for (let j = 0; j < zstar.length; j++) {
    B[j] = below + lj[j]! / 2
    below += lj[j]!
  }
  let a2 = 0
  for (let i = 0; i < k; i++) {
    const s = samples[i]!
    let p = 0
    let inner = 0
    for (let j = 0; j < zstar.length; j++) {
      const z = zstar[j]!
      const start = p
      while (p < s.length && s[p]! <= z) p++
      // Mij: values of sample i at most z, minus half those equal to z.
      const m = p - (p - start) / 2
      const l = lj[j]!
      inner += ((l / N) * (N * m - B[j]! * n[i]!) ** 2) / (B[j]! * (N - B[j]!) - (N * l) / 4)
    }
    a2 += inner / n[i]!
  }
  a2 *= (N - 1) / N

  const H = n.reduce((s, x) => s + 1 / x, 0)
  let hsCum = 0
  let g = 0
  for (let t = 0; t < N - 2; t++) {
    hsCum += 1 / (N - 1 - t)
    g += hsCum / (t + 2)
  }
  const h = hsCum + 1
  const A = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H
  const Bc = (2 * g - 4) * k ** 2 + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6
  const C = (6 * h + 2 * g - 2) * k ** 2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h
  const D = (2 * h + 6) * k ** 2 - 4 * h * k
  const sigmaSq = (A * N ** 3 + Bc * N ** 2 + C * N + D) / ((N - 1) * (N - 2) * (N - 3))
  const m = k - 1
  const statistic = (a2 - m) / Math.sqrt(sigmaSq)

  const critical = B0.map((b0, i) => b0 + B1[i]! / Math.sqrt(m) + B2[i]! / m)
  if (statistic < Math.min(...critical)) return { statistic, pvalue: 0.25 }
  if (statistic > Math.max(...critical)) return { statistic, pvalue: 0.001 }
  const [c2, c1, c0] = quadraticFit(critical, SIGNIFICANCE.map(Math.log))
  return { statistic, pvalue: Math.exp(c2 * statistic ** 2 + c1 * statistic + c0) }
}

/** Distinct values of the pooled sorted samples and how often each occurs. */
function pooledDistinct(samples: Float64Array[]): { values: Float64Array; counts: Float64Array } {
  const idx = samples.map(() => 0)
  const values: number[] = []
  const counts: number[] = []
  for (;;) {
    let v = Number.POSITIVE_INFINITY
    let any = false
    samples.forEach((s, i) => {
      if (idx[i]! < s.length) {
        any = true
        if (s[idx[i]!]! < v) v = s[idx[i]!]!
      }
    })
    if (!any) break
    let c = 0
    samples.forEach((s, i) => {
      while (idx[i]! < s.length && s[idx[i]!] === v) {
        idx[i]!++
        c++
      }
    })
    values.push(v)
    counts.push(c)
  }
  return { values: Float64Array.from(values), counts: Float64Array.from(counts) }
}

/** Least-squares y ≈ c2·x² + c1·x + c0 (the normal equations, solved by Gaussian elimination). */
function quadraticFit(x: number[], y: number[]): [number, number, number] {
  const s = [0, 0, 0, 0, 0]
  const t = [0, 0, 0]
  x.forEach((xi, i) => {
    let p = 1
    for (let k = 0; k < 5; k++) {
      s[k]! += p
      if (k < 3) t[k]! += p * y[i]!
      p *= xi
    }
  })
  // Unknowns in order c0, c1, c2.
  const m = [
    [s[0]!, s[1]!, s[2]!, t[0]!],
    [s[1]!, s[2]!, s[3]!, t[1]!],
    [s[2]!, s[3]!, s[4]!, t[2]!],
  ]
  for (let col = 0; col < 3; col++) {
    let pivot = col
    for (let r = col + 1; r < 3; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r
    ;[m[col], m[pivot]] = [m[pivot]!, m[col]!]
    for (let r = 0; r < 3; r++) {
      if (r === col) continue
      const f = m[r]![col]! / m[col]![col]!
      for (let c = col; c < 4; c++) m[r]![c]! -= f * m[col]![c]!
    }
  }
  return [m[2]![3]! / m[2]![2]!, m[1]![3]! / m[1]![1]!, m[0]![3]! / m[0]![0]!]
}
