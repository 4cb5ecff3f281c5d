import { describe, expect, it } from 'vitest'
import { measureRule, quantile } from './analysis.js'
import type { Rule } from './spec.js'
import type { Sample } from './window.js'

const rule = (r: Partial<Rule> & Pick<Rule, 'metric'>): Rule => ({
  name: r.metric,
  min_samples: 20,
  failure_limit: 0,
  consecutive_error_limit: 4,
  ...r,
})
const samples = (n: number, f: (i: number) => Partial<Sample>): Sample[] =>
  Array.from({ length: n }, (_, i) => ({ at: i, ok: true, latency_ms: 5, predictions: null, ...f(i) }))
const ctx = { since: 0 }

describe('analysis rules', () => {
  it('waits for the minimum sample size before any verdict', () => {
    const m = measureRule(
      rule({ metric: 'error_rate', max: 0.01 }),
      2,
      samples(19, () => ({ ok: false })),
      [],
      ctx,
    )
    expect(m.verdict).toBe('inconclusive')
    expect(m.message).toBe('19 requests, fewer than 20')
  })

  it('fails an error rate above the stable only when the increase is significant (Fisher)', () => {
    const r = rule({ metric: 'error_rate', vs_stable: { max_increase: 0.05 } })
    const stable = samples(400, (i) => ({ ok: i % 100 !== 0 })) // 1%
    const bad = measureRule(
      r,
      2,
      samples(40, (i) => ({ ok: i % 5 !== 0 })),
      stable,
      ctx,
    ) // 20%
    expect([bad.verdict, bad.value, bad.stable, bad.limit]).toEqual(['fail', 0.2, 0.01, 0.060000000000000005])
    expect(bad.message).toMatch(/Fisher p = /)
    // 2 errors out of 30 (6.7%) is above the limit but can be chance next to 1% (SciPy: p = 0.059).
    const noisy = measureRule(
      r,
      2,
      samples(30, (i) => ({ ok: i % 15 !== 0 })),
      stable,
      ctx,
    )
    expect(noisy.verdict).toBe('pass')
    expect(noisy.message).toMatch(/not significantly \(Fisher p = 0\.0593\)/)
  })

  it('never waives a fixed maximum for lack of significance', () => {
    const r = rule({ metric: 'error_rate', max: 0.05, vs_stable: { max_increase: 0.05 } })
    const stable = samples(400, (i) => ({ ok: i % 100 !== 0 }))
    const m = measureRule(
      r,
      2,
      samples(30, (i) => ({ ok: i % 15 !== 0 })),
      stable,
      ctx,
    )
    expect([m.verdict, m.limit]).toEqual(['fail', 0.05])
  })

  it('judges latency quantiles against the stable and fixed bounds together', () => {
    const r = rule({ metric: 'latency_p99', vs_stable: { max_ratio: 2, max_increase: 25 }, max: 1000 })
    const stable = samples(100, () => ({ latency_ms: 10 }))
    expect(
      measureRule(
        r,
        2,
        samples(50, () => ({ latency_ms: 30 })),
        stable,
        ctx,
      ).verdict,
    ).toBe('pass') // under 10+25
    const slow = measureRule(
      r,
      2,
      samples(50, () => ({ latency_ms: 40 })),
      stable,
      ctx,
    )
    expect([slow.verdict, slow.limit]).toEqual(['fail', 35])
    expect(
      measureRule(
        r,
        2,
        samples(50, () => ({ latency_ms: 1500 })),
        samples(100, () => ({ latency_ms: 1000 })),
        ctx,
      ).message,
    ).toMatch(/above the maximum 1000/)
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5)
  })

  it('tests the predictions against the stable with the drift engine', () => {
    const r = rule({ metric: 'prediction_drift', stattest: 'ks', threshold: 0.001 })
    const scores = (f: (i: number) => number) =>
      samples(60, (i) => ({ predictions: { scores: [f(i)], labels: [f(i) > 0.5 ? 1 : 0] } }))
    const stable = scores((i) => 0.1 + (i % 10) / 50)
    const same = measureRule(
      r,
      2,
      scores((i) => 0.1 + ((i + 3) % 10) / 50),
      stable,
      ctx,
    )
    expect(same.verdict).toBe('pass')
    const inverted = measureRule(
      r,
      2,
      scores((i) => 0.9 - (i % 10) / 50),
      stable,
      ctx,
    )
    expect(inverted.verdict).toBe('fail')
    expect(inverted.value!).toBeLessThan(1e-10)
  })

  it('measures a shadow against the stable answer to the same request', () => {
    const shadow = samples(30, (i) => ({
      predictions: { scores: [0.9], labels: [i < 6 ? 0 : 1] },
      reference: { predictions: { scores: [0.1], labels: [0] }, latency_ms: 4 },
      latency_ms: 9,
    }))
    const d = measureRule(rule({ metric: 'shadow_disagreement', max: 0.1 }), 2, shadow, [], ctx)
    expect([d.verdict, d.value]).toEqual(['fail', 0.8])
    const lat = measureRule(rule({ metric: 'shadow_latency_delta', max: 10 }), 2, shadow, [], ctx)
    expect([lat.verdict, lat.value]).toEqual(['pass', 5])
  })

  it('reads live quality from the hook, and reports an error while there are no labels', () => {
    const r = rule({ metric: 'quality:accuracy', min: 0.8 })
    expect(measureRule(r, 2, [], [], ctx)).toMatchObject({
      verdict: 'error',
      message: expect.stringContaining('no labels'),
    })
    const quality = (_v: number, metric: string) =>
      metric === 'accuracy' ? { value: 0.7, samples: 50 } : null
    expect(measureRule(r, 2, [], [], { ...ctx, quality })).toMatchObject({
      verdict: 'fail',
      value: 0.7,
      samples: 50,
    })
  })
})
