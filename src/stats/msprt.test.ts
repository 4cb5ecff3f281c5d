import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { type ArmSummary, bernoulliArm, msprt, summarize } from './msprt.js'
import { Random } from './random.js'
import { normalSf } from './special.js'

type Arm = ArmSummary | { values: number[] } | { n: number; successes: number }

/** Reference values from NumPy (test/fixtures/msprt/generate.py; see its header). */
const ref = JSON.parse(
  readFileSync(new URL('../../test/fixtures/msprt/reference.json', import.meta.url), 'utf8'),
) as {
  cases: {
    name: string
    control: Arm
    treatment: Arm
    tau2: number | null
    theta0: number
    difference: number
    likelihood_ratio: number | null
    pvalue: number
  }[]
}

const toSummary = (a: Arm): ArmSummary =>
  'values' in a ? summarize(a.values) : 'successes' in a ? bernoulliArm(a.n, a.successes) : a

/** |got − want| within `rel` of |want| (or within `abs` near zero). */
function close(got: number, want: number, rel = 1e-9, abs = 1e-300): void {
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(
    Math.max(abs, rel * Math.abs(want)),
  )
}

describe('msprt matches the NumPy reference', () => {
  for (const c of ref.cases) {
    it(c.name, () => {
      const r = msprt(toSummary(c.control), toSummary(c.treatment), {
        ...(c.tau2 === null ? {} : { tau2: c.tau2 }),
        theta0: c.theta0,
      })
      close(r.difference, c.difference, 1e-12)
      if (c.likelihood_ratio === null) expect(r.likelihoodRatio).toBe(Number.POSITIVE_INFINITY)
      else close(r.likelihoodRatio, c.likelihood_ratio)
      close(r.pValue, c.pvalue)
    })
  }
})

describe('arm summaries', () => {
  it('summarize gives the sample variance, stable far from zero (Welford)', () => {
    const s = summarize([1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4])
    expect(s.n).toBe(4)
    close(s.mean, 1e9 + 2.5, 1e-15)
    close(s.variance, 5 / 3, 1e-9)
    expect(summarize([7])).toEqual({ n: 1, mean: 7, variance: 0 })
    expect(summarize([]).mean).toBeNaN()
  })
  it('bernoulliArm gives p(1 − p) and rejects impossible counts', () => {
    expect(bernoulliArm(10, 3)).toEqual({ n: 10, mean: 0.3, variance: 0.3 * 0.7 })
    expect(() => bernoulliArm(10, 11)).toThrow(/successes/)
    expect(() => msprt(bernoulliArm(10, 3), bernoulliArm(10, 5), { tau2: -1 })).toThrow(/tau2/)
  })
})

/** Standard normal draws (Box–Muller on the project's seeded generator). */
function normals(rng: Random, n: number, shift: number): Float64Array {
  const u = rng.fill(new Uint32Array(n + (n % 2)))
  const out = new Float64Array(n + (n % 2))
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log((u[i]! + 1) / 2 ** 32))
    const a = (2 * Math.PI * u[i + 1]!) / 2 ** 32
    out[i] = r * Math.cos(a) + shift
    out[i + 1] = r * Math.sin(a) + shift
  }
  return out.subarray(0, n)
}

/**
 * Runs one seeded stream of `n` observations per arm, looking every `every`, and returns the first
 * look (observations per arm) at which each running-minimum p-value fell below `alpha`, or Infinity.
 */
function firstCrossing(seed: number, effect: number, n = 5000, every = 50, alpha = 0.05) {
  const rng = new Random(seed)
  const control = normals(rng, n, 0)
  const treatment = normals(rng, n, effect)
  let msprtAt = Number.POSITIVE_INFINITY
  let naiveAt = Number.POSITIVE_INFINITY
  for (let k = every; k <= n; k += every) {
    const c = summarize(control.subarray(0, k))
    const t = summarize(treatment.subarray(0, k))
    if (msprtAt === Number.POSITIVE_INFINITY && msprt(c, t).pValue < alpha) msprtAt = k
    const z = Math.abs(t.mean - c.mean) / Math.sqrt(c.variance / k + t.variance / k)
    if (naiveAt === Number.POSITIVE_INFINITY && 2 * normalSf(z) < alpha) naiveAt = k
  }
  return { msprtAt, naiveAt }
}

describe('always-valid under continuous peeking', () => {
  it('A/A: the running-min p-value rarely crosses 0.05, a peeked z-test often does', () => {
    const runs = Array.from({ length: 200 }, (_, i) => firstCrossing(1000 + i, 0))
    const msprtRate = runs.filter((r) => r.msprtAt < Number.POSITIVE_INFINITY).length / runs.length
    const naiveRate = runs.filter((r) => r.naiveAt < Number.POSITIVE_INFINITY).length / runs.length
    expect(msprtRate).toBeLessThanOrEqual(0.08)
    // 100 looks at a 5% z-test reject a true null far more than 5% of the time (about 30–40%).
    expect(naiveRate).toBeGreaterThan(0.2)
  })

  it('a real effect of 0.2 standard deviations crosses 0.05 within about a thousand observations', () => {
    const at = Array.from({ length: 20 }, (_, i) => firstCrossing(5000 + i, 0.2).msprtAt)
    at.sort((a, b) => a - b)
    expect(at[at.length - 1]).toBeLessThan(Number.POSITIVE_INFINITY)
    expect(at[at.length / 2]).toBeLessThanOrEqual(1000)
  })
})
