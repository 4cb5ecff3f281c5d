import { describe, expect, it } from 'vitest'
import { detectDrift } from './detect.js'
import { driftReport } from './report.js'

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i))

describe('driftReport', () => {
  it('reports an all-missing column as an error and still tests the rest', async () => {
    const report = await driftReport(
      { a: [1, 2, 3, 4, 5, 6, 7], empty: [null, null, null, null, null, null, null] },
      { a: [1, 2, 3, 4, 5, 6, 8], empty: [1, 2, 3, 4, 5, 6, 7] },
      { mapping: { numerical: ['empty'] } },
    )
    expect(report.columns.empty).toMatchObject({
      error: 'has no values in the reference data (every value is missing)',
    })
    expect(report.columns.a).toMatchObject({ stattest: 'ks', drift_detected: false })
    expect(report.number_of_columns).toBe(1)
  })

  it('lists columns missing on either side without failing', async () => {
    const report = await driftReport(
      { a: [1, 2, 3, 4, 5, 6], gone: ['x', 'y', 'x', 'y', 'x', 'y'] },
      { a: [1, 2, 3, 4, 5, 6], extra: [1, 1, 1, 1, 1, 1] },
    )
    expect(report.missing_columns).toEqual({ in_current: ['gone'], in_reference: ['extra'] })
    expect(report.columns.gone).toMatchObject({ error: 'is not in the current data' })
    expect(report.columns.extra).toBeUndefined()
  })

  it('counts ±inf as missing and reports the change in missing share', async () => {
    const report = await driftReport(
      { x: [1.5, 2.5, 3.5, Infinity, null] },
      { x: [1.5, 2.5, -Infinity, 3.5, 4.5] },
      { mapping: { numerical: ['x'] } },
    )
    expect(report.columns.x!.missing).toEqual({ reference: 0.4, current: 0.2 })
  })

  it('refuses an unknown test, or a test for the wrong column type, naming the valid ones', async () => {
    const data = { n: [1.5, 2.5, 3.5, 4.5], c: ['a', 'b', 'a', 'a'] }
    await expect(driftReport(data, data, { stattest: 'kolmogorov' })).rejects.toThrow(
      /unknown drift test "kolmogorov"; tests for num columns: ks, wasserstein/,
    )
    await expect(driftReport(data, data, { perColumn: { c: { stattest: 'ks' } } })).rejects.toThrow(
      'drift test "ks" does not apply to cat column "c"; tests for cat columns: chisquare, z, psi, kl_div, jensenshannon, hellinger, fisher_exact, g_test, TVD',
    )
    await expect(driftReport(data, data, { perColumn: { n: { stattest: 'chisquare' } } })).rejects.toThrow(
      /does not apply to num column "n"/,
    )
  })

  it('fails when no column can be tested', async () => {
    await expect(
      driftReport({ a: [null, null] }, { a: [1, 2] }, { mapping: { numerical: ['a'] } }),
    ).rejects.toThrow(/no column could be tested for drift \(a: has no values in the reference data/)
  })

  it('resolves tests and thresholds per column, then per type, then globally', async () => {
    const ref = {
      a: range(50, (i) => i / 10),
      b: range(50, (i) => i / 7),
      c: range(50, (i) => (i % 3 === 0 ? 'x' : 'y')),
    }
    const report = await driftReport(ref, ref, {
      stattest: 'psi',
      threshold: 0.3,
      perType: { num: { stattest: 'wasserstein', threshold: 0.2 } },
      perColumn: { a: { stattest: 'ks' } },
    })
    expect(report.columns.a).toMatchObject({ stattest: 'ks', threshold: 0.2 })
    expect(report.columns.b).toMatchObject({ stattest: 'wasserstein', threshold: 0.2 })
    expect(report.columns.c).toMatchObject({ stattest: 'psi', threshold: 0.3 })
  })

  it('gives a per-column error when a column holds numbers on one side and text on the other', async () => {
    const report = await driftReport(
      { a: [1.5, 2.5, 3.5], b: [1, 2, 3] },
      { a: ['x', 'y', 'z'], b: [1, 2, 4] },
    )
    expect(report.columns.a!.error).toBe(
      'holds numbers in the reference but string values in the current data',
    )
  })

  it('adjusts p-values for multiple testing when asked; the adjusted value decides', async () => {
    const ref = Object.fromEntries(range(6, (k) => [`c${k}`, range(40, (i) => i + k * 0.001)]))
    const cur = Object.fromEntries(range(6, (k) => [`c${k}`, range(40, (i) => i + (k === 0 ? 8 : 0.5))]))
    const plain = await driftReport(ref, cur, { stattest: 'ks', threshold: 0.2 })
    const bonf = await driftReport(ref, cur, { stattest: 'ks', threshold: 0.2, correction: 'bonferroni' })
    const p0 = plain.columns.c0!.score!
    expect(bonf.columns.c0!.score).toBe(p0)
    expect(bonf.columns.c0!.adjusted_score).toBeCloseTo(Math.min(1, p0 * 6), 12)
    const bh = await driftReport(ref, cur, {
      stattest: 'ks',
      threshold: 0.2,
      correction: 'benjamini-hochberg',
    })
    for (const c of Object.values(bh.columns)) expect(c.adjusted_score!).toBeGreaterThanOrEqual(c.score!)
    expect(bonf.number_of_drifted_columns).toBeLessThanOrEqual(plain.number_of_drifted_columns)
  })

  it('bins on reference quantiles when asked, and says so in the distributions it reports', async () => {
    const ref = { x: range(400, (i) => (i * 37) % 400) }
    const cur = { x: range(400, (i) => ((i * 37) % 400) * 1.3) }
    const sturges = (await driftReport(ref, cur, { stattest: 'psi' })).columns.x!.score!
    const quantile = (
      await driftReport(ref, cur, { stattest: 'psi', binning: { method: 'quantile', bins: 10 } })
    ).columns.x!.score!
    expect(sturges).toBeGreaterThan(0)
    expect(quantile).toBeGreaterThan(0)
    expect(quantile).not.toBeCloseTo(sturges, 6)
    await expect(
      driftReport(ref, cur, { stattest: 'psi', binning: { method: 'quantile', bins: 1 } }),
    ).rejects.toThrow(/at least 2/)
  })

  it('skips text columns and leaves them out of the counts', async () => {
    const text = range(30, (i) => `sentence number ${i}`)
    const report = await driftReport({ t: text, n: range(30, (i) => i) }, { t: text, n: range(30, (i) => i) })
    expect(report.columns.t).toMatchObject({ column_type: 'text', skipped: expect.stringContaining('text') })
    expect(report.number_of_columns).toBe(1)
  })

  it('permutation tests are reproducible from their seed', async () => {
    const ref = { c: range(200, (i) => ['a', 'b', 'c'][i % 3]!) }
    const cur = { c: range(180, (i) => ['a', 'b', 'c', 'c'][i % 4]!) }
    const a = (await driftReport(ref, cur, { stattest: 'TVD', seed: 3 })).columns.c!.score
    const b = (await driftReport(ref, cur, { stattest: 'TVD', seed: 3 })).columns.c!.score
    expect(a).toBe(b)
    expect((await driftReport(ref, cur, { stattest: 'TVD', seed: 3 })).seed).toBe(3)
  })
})

describe('detectDrift', () => {
  const ref = {
    near: range(100, (i) => i),
    far: range(100, (i) => i),
    cat: range(100, (i) => (i % 2 ? 'a' : 'b')),
  }
  const cur = {
    near: range(100, (i) => i + 1),
    far: range(100, (i) => i + 60),
    cat: range(100, (i) => (i % 2 ? 'a' : 'b')),
  }

  it('returns Evidently-style results with the share of drifted features as drift_score', async () => {
    const r = await detectDrift(ref, cur)
    expect(r).toEqual({
      drift_detected: true,
      drift_score: 1 / 3,
      number_of_drifted_features: 1,
      drifted_features: [{ feature: 'far', drift_score: expect.any(Number) }],
    })
  })

  it('compares the threshold the way each test compares: below it for p-values', async () => {
    // ks p-values: "far" is tiny, "near" is large. A threshold of 1 flags every p below 1.
    expect((await detectDrift(ref, cur, {}, 1)).number_of_drifted_features).toBe(2)
    expect((await detectDrift(ref, cur, {}, 1e-300)).drift_detected).toBe(false)
  })
})
