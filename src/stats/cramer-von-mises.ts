import { besselK } from './bessel.js'
import type { TestResult } from './contingency.js'
import { midranks } from './ranks.js'
import { logGamma } from './special.js'

/**
 * Two-sample Cramér–von Mises test, as `scipy.stats.cramervonmises_2samp` with method 'auto':
 * the exact null distribution when both samples have at most 20 values (Xiao, Gordon & Yakovlev's
 * frequency tables), otherwise Anderson's normalisation and the limiting distribution (Csörgő &
 * Faraway's series). Ties get midranks. Samples are sorted; each needs at least two values.
 */
export function cramerVonMises2Samp(x: Float64Array, y: Float64Array): TestResult {
  const nx = x.length
  const ny = y.length
  if (nx < 2 || ny < 2) throw new Error('cramer_von_mises needs at least two values in each sample')
  const { rx, ry } = midranks(x, y)
  let sx = 0
  for (let i = 0; i < nx; i++) sx += (rx[i]! - (i + 1)) ** 2
  let sy = 0
  for (let j = 0; j < ny; j++) sy += (ry[j]! - (j + 1)) ** 2
  const u = nx * sx + ny * sy
  const k = nx * ny
  const N = nx + ny
  const t = u / (k * N) - (4 * k - 1) / (6 * N)
  const pvalue = Math.max(nx, ny) > 20 ? asymptoticP(t, N, nx, ny, k) : exactP(u, nx, ny)
  return { statistic: t, pvalue }
}

function asymptoticP(t: number, N: number, nx: number, ny: number, k: number): number {
  const et = (1 + 1 / N) / 6
  const vt = ((N + 1) * (4 * k * N - 3 * (nx ** 2 + ny ** 2) - 2 * k)) / (45 * N ** 2 * 4 * k)
  const tn = 1 / 6 + (t - et) / Math.sqrt(45 * vt)
  return tn < 0.003 ? 1 : Math.max(0, 1 - cdfLimit(tn))
}

/** CDF of the limiting Cramér–von Mises distribution (series summed until a term is below 1e-7). */
function cdfLimit(x: number): number {
  let total = 0
  for (let k = 0; ; k++) {
    const u = Math.exp(logGamma(k + 0.5) - logGamma(k + 1)) / (Math.PI ** 1.5 * Math.sqrt(x))
    const y = 4 * k + 1
    const q = (y * y) / (16 * x)
    const term = u * Math.sqrt(y) * Math.exp(-q) * besselK(0.25, q)
    total += term
    if (Math.abs(term) < 1e-7) return total
  }
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))

/** P(U ≥ u) from the exact distribution: frequency tables of the path statistic over the lattice. */
function exactP(u: number, m: number, n: number): number {
  const lcm = (m / gcd(m, n)) * n
  const a = lcm / m
  const b = lcm / n
  const mn = m * n
  const zeta = Math.floor((lcm ** 2 * (m + n) * (6 * u - mn * (4 * mn - 1))) / (6 * mn ** 2))
  // gs[v]: value → number of paths reaching (u, v) with that partial statistic.
  let gs: Map<number, number>[] = [
    new Map([[0, 1]]),
    ...Array.from({ length: m }, () => new Map<number, number>()),
  ]
  for (let uu = 0; uu <= n; uu++) {
    const next: Map<number, number>[] = []
    let tmp = new Map<number, number>()
    for (let v = 0; v <= m; v++) {
      const merged = new Map(tmp)
      for (const [value, freq] of gs[v]!) merged.set(value, (merged.get(value) ?? 0) + freq)
      const add = (a * v - b * uu) ** 2
      tmp = new Map()
      for (const [value, freq] of merged) tmp.set(value + add, freq)
      next.push(tmp)
    }
    gs = next
  }
  let hits = 0
  let total = 0
  for (const [value, freq] of gs[m]!) {
    total += freq
    if (value >= zeta) hits += freq
  }
  return hits / total
}
