import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { type SampleSpec, sample } from '../../test/fixtures/scipy/samples.js'
import { andersonKSamp } from './anderson.js'
import { chiSquare, gTest } from './contingency.js'
import { cramerVonMises2Samp } from './cramer-von-mises.js'
import { energyDistance, jensenShannonDistance, klDivergence, wassersteinDistance } from './distances.js'
import { eppsSingleton2Samp } from './epps-singleton.js'
import { fisherExact2x2 } from './fisher.js'
import { doaneEdges, histogramCounts, sturgesEdges } from './histogram.js'
import { kolmogorovSf, smirnov } from './kolmogorov.js'
import { ks2Samp } from './ks.js'
import { mannWhitneyU } from './mann-whitney.js'
import { chi2Sf, normalSf, studentTSf } from './special.js'
import { tTestPooled } from './t-test.js'

/** Reference values from SciPy (test/fixtures/scipy/generate.py; see its header for versions). */
const ref = JSON.parse(
  readFileSync(new URL('../../test/fixtures/scipy/reference.json', import.meta.url), 'utf8'),
) as {
  cases: { fn: string; x: SampleSpec; y: SampleSpec; statistic?: number; pvalue?: number; value?: number }[]
  fisher: { table: number[][]; pvalue: number; greater: number }[]
  contingency: {
    ref: number[]
    cur: number[]
    chisquare: number
    g_test: number
    jensenshannon: number
    kl: number
  }[]
  special: Record<string, number[][]>
  bins: { x: SampleSpec; integer: boolean; sturges: number[]; doane: number[]; counts: number[] }[]
}

/** |got − want| within `rel` of |want| (or within `abs` near zero). */
function close(got: number, want: number, rel = 1e-9, abs = 1e-300): void {
  if (Number.isNaN(want)) return void expect(got).toBeNaN()
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(
    Math.max(abs, rel * Math.abs(want)),
  )
}

const sorted = (s: SampleSpec) => sample(s).sort()
const label = (c: { fn: string; x: SampleSpec; y: SampleSpec }) =>
  `${c.fn} ${c.x.kind}${c.x.levels ? ` (${c.x.levels} values)` : ''} n=${c.x.n}/${c.y.n}`

const TESTS: Record<string, (x: Float64Array, y: Float64Array) => { statistic: number; pvalue: number }> = {
  ks: ks2Samp,
  cvm: cramerVonMises2Samp,
  mannw: mannWhitneyU,
  ttest: tTestPooled,
  es: eppsSingleton2Samp,
  anderson: (x, y) => andersonKSamp([x, y]),
}

describe('two-sample tests match SciPy', () => {
  for (const c of ref.cases) {
    it(label(c), () => {
      const x = sorted(c.x)
      const y = sorted(c.y)
      if (c.fn === 'wasserstein') return close(wassersteinDistance(x, y), c.value!, 1e-12)
      if (c.fn === 'energy') return close(energyDistance(x, y), c.value!, 1e-12)
      const r = TESTS[c.fn]!(x, y)
      close(r.statistic, c.statistic!, 1e-9)
      // Anderson–Darling's p comes from an interpolation of a fitted table. Below 1e-12 a p-value's
      // digits are rounding noise (Cramér–von Mises computes 1 − CDF near 1), so they are compared absolutely.
      close(r.pvalue, c.pvalue!, c.fn === 'anderson' ? 1e-6 : 1e-7, 1e-12)
    })
  }
})

describe('contingency tests and distances match SciPy', () => {
  for (const t of ref.fisher) {
    it(`fisher_exact ${JSON.stringify(t.table)}`, () => {
      const [[a, b], [c, d]] = t.table as [[number, number], [number, number]]
      close(fisherExact2x2(a, b, c, d).pvalue, t.pvalue, 1e-10)
      close(fisherExact2x2(a, b, c, d, 'greater').pvalue, t.greater, 1e-10)
    })
  }
  for (const c of ref.contingency) {
    it(`chisquare, g_test, jensenshannon, entropy on ${JSON.stringify(c.ref)} vs ${JSON.stringify(c.cur)}`, () => {
      const r = Float64Array.from(c.ref)
      const cur = Float64Array.from(c.cur)
      const k = cur.reduce((s, v) => s + v, 0) / r.reduce((s, v) => s + v, 0)
      const expected = r.map((v) => v * k)
      close(chiSquare(cur, expected).pvalue, c.chisquare, 1e-10, 1e-300)
      close(gTest(cur, expected).pvalue, c.g_test, 1e-10, 1e-300)
      close(jensenShannonDistance(r, cur), c.jensenshannon, 1e-12)
      const fill = (a: Float64Array) => a.map((v) => (v === 0 ? 1e-4 : v))
      close(klDivergence(fill(r), fill(cur)), c.kl, 1e-12)
    })
  }
})

describe('distribution functions match SciPy', () => {
  it('chi-square, Student t and normal tails', () => {
    for (const [x, k, p] of ref.special.chi2_sf!) close(chi2Sf(x!, k!), p!, 1e-12)
    for (const [t, df, p] of ref.special.t_sf!) close(studentTSf(t!, df!), p!, 1e-11)
    for (const [z, p] of ref.special.norm_sf!) close(normalSf(z!), p!, 1e-12)
  })
  it('kstwo (two-sided one-sample Kolmogorov) and smirnov (one-sided) tails', () => {
    for (const [n, x, p] of ref.special.kstwo_sf!) close(kolmogorovSf(n!, x!), p!, 1e-9, 1e-300)
    for (const [n, x, p] of ref.special.smirnov!) close(smirnov(n!, x!), p!, 1e-10)
  })
})

describe('histogram bins match NumPy', () => {
  for (const b of ref.bins) {
    it(`${b.x.kind} n=${b.x.n}${b.integer ? ' (integer dtype)' : ''}`, () => {
      const x = sorted(b.x)
      const sturges = sturgesEdges(x[0]!, x[x.length - 1]!, x.length, b.integer)
      expect(Array.from(sturges)).toEqual(b.sturges)
      expect(Array.from(doaneEdges([x], b.integer))).toEqual(b.doane)
      expect(Array.from(histogramCounts(x, sturges))).toEqual(b.counts)
    })
  }
})
