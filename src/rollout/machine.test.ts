import { describe, expect, it } from 'vitest'
import type { Measurement } from './analysis.js'
import { type RolloutState, routingFor, startRollout, transition } from './machine.js'
import { buildPlan } from './plan.js'
import type { RolloutSpec } from './spec.js'

const stable = { model: 'm', version: 1 }
const canary = [{ model: 'm', version: 2 }]

function measured(
  state: RolloutState,
  spec: RolloutSpec,
  verdict: Measurement['verdict'],
  rule?: string,
): Measurement[] {
  return spec.analysis.rules
    .filter((r) => !rule || r.name === rule)
    .map((r) => ({
      rule: r.name,
      metric: r.metric,
      version: state.candidates[0]!.version,
      value: 0.5,
      stable: 0.01,
      limit: 0.06,
      samples: 40,
      stable_samples: 400,
      verdict,
      message: `${verdict} for the test`,
    }))
}

describe('rollout state machine: canary', () => {
  const spec = buildPlan({ strategy: 'canary', steps: '10,50,100', pause: '30s' }).spec

  it('applies the first weight at once and routes by it', () => {
    const { state, decisions } = startRollout(spec, stable, canary, 0)
    expect(state.phase).toBe('progressing')
    expect(state.candidates[0]!.weight).toBe(10)
    expect(decisions.map((d) => d.kind)).toEqual(['start', 'step'])
    expect(routingFor('ro_1', spec, state)!.arms).toEqual([
      { model: 'm', version: 1, weight: 90, role: 'stable' },
      { model: 'm', version: 2, weight: 10, role: 'canary', from: 0 },
    ])
  })

  it('holds a timed pause until it is over and every rule has judged, then steps on and promotes at the end', () => {
    let { state } = startRollout(spec, stable, canary, 0)
    // Over time, but no conclusive measurement yet: waits (and says so once).
    let r = transition(spec, state, {
      type: 'tick',
      now: 31_000,
      measurements: measured(state, spec, 'inconclusive'),
    })
    expect(r.state.step).toBe(1)
    expect(r.decisions.map((d) => d.kind)).toContain('waiting')
    r = transition(spec, r.state, {
      type: 'tick',
      now: 33_000,
      measurements: measured(state, spec, 'inconclusive'),
    })
    expect(r.decisions.map((d) => d.kind)).not.toContain('waiting')
    r = transition(spec, r.state, { type: 'tick', now: 35_000, measurements: measured(state, spec, 'pass') })
    expect(r.state.candidates[0]!.weight).toBe(50)
    state = r.state
    // The next pause restarts its clock and needs fresh verdicts.
    r = transition(spec, state, { type: 'tick', now: 64_000, measurements: [] })
    expect(r.state.candidates[0]!.weight).toBe(50)
    r = transition(spec, r.state, { type: 'tick', now: 66_000, measurements: measured(state, spec, 'pass') })
    expect(r.state.phase).toBe('promoted')
    expect(r.state.result).toMatchObject({ model: 'm', version: 2 })
    expect(routingFor('ro_1', spec, r.state)).toBeNull()
  })

  it('aborts on the first failure by default, back to the stable, naming the rule', () => {
    const { state } = startRollout(spec, stable, canary, 0)
    const r = transition(spec, state, {
      type: 'tick',
      now: 4000,
      measurements: measured(state, spec, 'fail', 'error_rate'),
    })
    expect(r.state.phase).toBe('aborted')
    expect(r.state.result).toMatchObject({ version: 1 })
    const abort = r.decisions.find((d) => d.kind === 'abort')!
    expect(abort.message).toContain('error_rate')
    expect(abort.detail).toMatchObject({ manual: false, rejected: [2] })
    // An ended rollout ignores further events.
    expect(transition(spec, r.state, { type: 'promote', now: 5000, full: true, by: 't' }).decisions).toEqual(
      [],
    )
  })

  it("follows Argo's failureLimit and consecutiveErrorLimit", () => {
    const lenient = buildPlan({ strategy: 'canary' }).spec
    lenient.analysis.rules = lenient.analysis.rules.map((r) => ({
      ...r,
      failure_limit: 2,
      consecutive_error_limit: 1,
    }))
    let { state } = startRollout(lenient, stable, canary, 0)
    for (const t of [1, 2]) {
      state = transition(lenient, state, {
        type: 'tick',
        now: t * 2000,
        measurements: measured(state, lenient, 'fail', 'error_rate'),
      }).state
      expect(state.phase).toBe('progressing')
    }
    expect(
      transition(lenient, state, {
        type: 'tick',
        now: 6000,
        measurements: measured(state, lenient, 'fail', 'error_rate'),
      }).state.phase,
    ).toBe('aborted')
    // Errors must come in a row: a pass in between resets the count.
    let s2 = startRollout(lenient, stable, canary, 0).state
    for (const [i, v] of (['error', 'pass', 'error'] as const).entries())
      s2 = transition(lenient, s2, {
        type: 'tick',
        now: i * 2000,
        measurements: measured(s2, lenient, v, 'latency_p99'),
      }).state
    expect(s2.phase).toBe('progressing')
    s2 = transition(lenient, s2, {
      type: 'tick',
      now: 8000,
      measurements: measured(s2, lenient, 'error', 'latency_p99'),
    }).state
    expect(s2.phase).toBe('aborted')
  })

  it('waits at a manual pause until promote; promote --full ends it at once', () => {
    const manual = buildPlan({ strategy: 'canary', steps: '20,60,100', pause: 'manual' }).spec
    let { state } = startRollout(manual, stable, canary, 0)
    expect(state.phase).toBe('paused')
    state = transition(manual, state, {
      type: 'tick',
      now: 999_999,
      measurements: measured(state, manual, 'pass'),
    }).state
    expect(state.phase).toBe('paused')
    state = transition(manual, state, { type: 'promote', now: 1_000_000, full: false, by: 't' }).state
    expect([state.phase, state.candidates[0]!.weight]).toEqual(['paused', 60])
    const full = transition(manual, state, { type: 'promote', now: 1_000_001, full: true, by: 't' })
    expect(full.state.phase).toBe('promoted')
    expect(full.decisions.at(-1)!.message).toContain('to the end')
  })

  it('aborts when the candidate cannot be loaded', () => {
    const { state } = startRollout(spec, stable, canary, 0)
    const r = transition(spec, state, { type: 'arm_failed', now: 1, version: 2, reason: 'corrupt file' })
    expect(r.state.phase).toBe('aborted')
    expect(r.decisions.at(-1)!.message).toContain('corrupt file')
  })
})

describe('rollout state machine: shadow and A/B', () => {
  it('a shadow mirrors its share and never takes live traffic', () => {
    const spec = buildPlan({ strategy: 'shadow', steps: '50', pause: '10s' }).spec
    const { state } = startRollout(spec, stable, canary, 0)
    expect(routingFor('ro', spec, state)!.arms).toEqual([
      { model: 'm', version: 1, weight: 100, role: 'stable' },
      { model: 'm', version: 2, weight: 50, role: 'shadow' },
    ])
  })

  it('promotes an arm the sequential test finds better, and drops one it finds worse', () => {
    const spec = buildPlan({ strategy: 'ab', steps: '30' }).spec
    spec.test = { metric: 'error_rate', goal: 'minimize', alpha: 0.05, min_samples: 200 }
    const two = [
      { model: 'm', version: 2, weight: 30 },
      { model: 'm', version: 3, weight: 30 },
    ]
    let { state } = startRollout(spec, stable, two, 0)
    expect(routingFor('ro', spec, state)!.arms.map((a) => a.weight)).toEqual([40, 30, 30])
    const bern = (n: number, p: number) => ({ n, mean: p, variance: p * (1 - p) * (n / (n - 1)) })
    // Not enough samples yet: no verdict whatever the means.
    let r = transition(spec, state, {
      type: 'tick',
      now: 1,
      measurements: [],
      ab: { 1: bern(100, 0.1), 2: bern(100, 0.01), 3: bern(100, 0.5) },
    })
    expect(r.state.phase).toBe('progressing')
    expect(r.decisions).toEqual([])
    state = r.state
    r = transition(spec, state, {
      type: 'tick',
      now: 2,
      measurements: [],
      ab: { 1: bern(2000, 0.1), 2: bern(700, 0.1), 3: bern(700, 0.5) },
    })
    expect(r.state.candidates.map((c) => c.status)).toEqual(['active', 'rejected'])
    // Alpha stays split over both arms; the remaining arm keeps its sticky buckets.
    expect(r.decisions.find((d) => d.kind === 'measurement')!.detail.alpha).toBe(0.025)
    expect(routingFor('ro', spec, r.state)!.arms[1]).toMatchObject({ version: 2, from: 0 })
    expect(routingFor('ro', spec, r.state)!.arms.map((a) => [a.version, a.weight])).toEqual([
      [1, 70],
      [2, 30],
    ])
    const fresh = startRollout(spec, stable, two, 0).state
    expect(() => transition(spec, fresh, { type: 'promote', now: 3, full: false, by: 't' })).toThrow(
      /no A\/B arm has answered/,
    )
    r = transition(spec, r.state, {
      type: 'tick',
      now: 3,
      measurements: [],
      ab: { 1: bern(5000, 0.1), 2: bern(3000, 0.02) },
    })
    expect(r.state.phase).toBe('promoted')
    expect(r.state.result!.version).toBe(2)
  })
})
