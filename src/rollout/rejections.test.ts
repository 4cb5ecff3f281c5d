import { describe, expect, it } from 'vitest'
import type { Decision, RolloutState } from './machine.js'
import { rejectionOf } from './rejections.js'

const at = '2026-11-27T08:00:00.000Z'
const state = (over: Partial<RolloutState>): RolloutState => ({
  phase: 'progressing',
  step: 0,
  step_started_at: 0,
  stable: { model: 'm', version: 1 },
  candidates: [
    { model: 'm', version: 2, role: 'arm', weight: 25, status: 'rejected', rules: {} },
    { model: 'n', version: 7, role: 'arm', weight: 25, status: 'active', rules: {} },
  ],
  waiting: false,
  result: null,
  ...over,
})
const context = { rollout: 'ro_1', deployment: 'd' }

describe('what a rollout move rejects', () => {
  it('nothing for measurements, steps or a promotion', () => {
    const decisions: Decision[] = [
      { at, kind: 'measurement', message: '', detail: {} },
      { at, kind: 'promote', message: '', detail: { version: 7 } },
    ]
    expect(rejectionOf(decisions, state({}), context)).toBeNull()
  })

  it('an A/B arm that left, each version under its own model; aliases go to the winner promoted in the same move', () => {
    const decisions: Decision[] = [
      { at, kind: 'reject', message: '', detail: { version: 2, reason: 'worse on score_mean' } },
      { at, kind: 'promote', message: '', detail: { version: 7 } },
    ]
    const promoted = state({ phase: 'promoted', result: { model: 'n', version: 7, reason: 'better' } })
    expect(rejectionOf(decisions, promoted, context)).toEqual({
      versions: [
        { model: 'm', version: 2, reason: `worse on score_mean — rollout ro_1 on deployment "d", ${at}` },
      ],
      serving: { model: 'n', version: 7 },
    })
  })

  it("an abort by the analysis rejects every candidate left; a person's abort only when rolling back", () => {
    const abort = (manual: boolean): Decision[] => [
      { at, kind: 'abort', message: 'rolled back to m@1: rule failed', detail: { manual, rejected: [7] } },
    ]
    const aborted = state({ phase: 'aborted', result: { model: 'm', version: 1, reason: 'rule failed' } })
    expect(rejectionOf(abort(false), aborted, context)?.versions).toEqual([
      {
        model: 'n',
        version: 7,
        reason: `rolled back to m@1: rule failed — rollout ro_1 on deployment "d", ${at}`,
      },
    ])
    expect(rejectionOf(abort(true), aborted, context)).toBeNull()
    expect(rejectionOf(abort(true), aborted, { ...context, byHand: 'rolled back by hand' })).toEqual({
      versions: [
        { model: 'n', version: 7, reason: `rolled back by hand — rollout ro_1 on deployment "d", ${at}` },
      ],
      serving: { model: 'm', version: 1 },
    })
  })
})
