import { writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildPlan } from './plan.js'

const file = (name: string, text: string) => {
  const p = path.join(os.tmpdir(), `sluice-plan-${process.pid}-${name}`)
  writeFileSync(p, text)
  return p
}

describe('rollout plans', () => {
  it('builds canary steps from flags, with the default analysis', () => {
    const { spec } = buildPlan({ strategy: 'canary', steps: '10,50,100', pause: '1m' })
    expect(spec.steps).toEqual([
      { setWeight: 10 },
      { pause: { duration_ms: 60_000 } },
      { setWeight: 50 },
      { pause: { duration_ms: 60_000 } },
      { setWeight: 100 },
    ])
    expect(spec.analysis).toMatchObject({ interval_ms: 2000, window_ms: 30_000 })
    expect(spec.analysis.rules.map((r) => [r.metric, r.min_samples])).toEqual([
      ['error_rate', 20],
      ['latency_p99', 20],
      ['prediction_drift', 20],
    ])
  })

  it('refuses weights outside 0–100, steps that do not increase, and a bad pause', () => {
    expect(() => buildPlan({ strategy: 'canary', steps: '10,150' })).toThrow(
      /"150" is not a weight from 0 to 100/,
    )
    expect(() => buildPlan({ strategy: 'canary', steps: '50,25,100' })).toThrow(
      /must increase.*25 follows 50/,
    )
    expect(() => buildPlan({ strategy: 'canary', pause: 'soon' })).toThrow(/--pause "soon" is not a duration/)
    expect(() => buildPlan({ strategy: 'ab', steps: '60,70' })).toThrow(/one weight of the challenger/)
    // A rollout with no pause would be promoted before any analysis; a canary at 100% has no stable to compare with.
    const noPause = file('nopause.yaml', 'strategy: canary\nsteps:\n  - setWeight: 20\n  - setWeight: 100\n')
    expect(() => buildPlan({ strategyFile: noPause })).toThrow(
      /no pause, so the canary would be promoted before any analysis/,
    )
    const pastFull = file(
      'pastfull.yaml',
      'strategy: canary\nsteps:\n  - setWeight: 100\n  - pause: {duration: 1m}\n',
    )
    expect(() => buildPlan({ strategyFile: pastFull })).toThrow(/reaches 100% before its last step/)
  })

  it('reads a strategy file in Argo-like steps, and names the line of a mistake', () => {
    const good = file(
      'good.yaml',
      'strategy: canary\nsticky_key: header:x-user\nsteps:\n  - setWeight: 5\n  - pause: {duration: 10s}\n  - setWeight: 40\n  - pause: {}\n  - setWeight: 100\nanalysis:\n  interval: 1s\n  rules:\n    - metric: error_rate\n      max: 0.02\n      failure_limit: 1\n',
    )
    const { spec } = buildPlan({ strategyFile: good })
    expect(spec.sticky_key).toBe('header:x-user')
    expect(spec.steps[1]).toEqual({ pause: { duration_ms: 10_000 } })
    expect(spec.steps[3]).toEqual({ pause: { duration_ms: null } })
    expect(spec.analysis.rules).toEqual([
      expect.objectContaining({
        name: 'error_rate',
        max: 0.02,
        failure_limit: 1,
        consecutive_error_limit: 4,
      }),
    ])
    const unknown = file('unknown.yaml', 'analysis:\n  rules:\n    - metric: accuracy_now\n      max: 1\n')
    expect(() => buildPlan({ strategy: 'canary', analysisFile: unknown })).toThrow(
      /unknown\.yaml:3: analysis\.rules\.0\.metric: expected one of error_rate/,
    )
    const over = file('over.yaml', 'strategy: canary\nsteps:\n  - setWeight: 120\n')
    expect(() => buildPlan({ strategyFile: over })).toThrow(/over\.yaml:3/)
    const noThreshold = file('nothreshold.yaml', 'analysis:\n  rules:\n    - metric: latency_p99\n')
    expect(() => buildPlan({ strategy: 'canary', analysisFile: noThreshold })).toThrow(/give a threshold/)
  })

  it('refuses shadow metrics outside a shadow rollout, and unknown drift tests', () => {
    const shadowOnly = file(
      'shadow.yaml',
      'analysis:\n  rules:\n    - metric: shadow_disagreement\n      max: 0.1\n',
    )
    expect(() => buildPlan({ strategy: 'canary', analysisFile: shadowOnly })).toThrow(
      /only in a shadow rollout/,
    )
    const drift = file(
      'drift.yaml',
      'analysis:\n  rules:\n    - metric: prediction_drift\n      stattest: nope\n',
    )
    expect(() => buildPlan({ strategy: 'canary', analysisFile: drift })).toThrow(/unknown drift test "nope"/)
  })
})
