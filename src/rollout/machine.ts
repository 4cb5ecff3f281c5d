import { SluiceError } from '../core/errors.js'
import { type ArmSummary, mergeArms, msprt } from '../stats/msprt.js'
import type { RolloutPhase, Routing } from '../store/types.js'
import type { Measurement } from './analysis.js'
import type { RolloutSpec } from './spec.js'

/**
 * A rollout as an explicit state machine: `transition(spec, state, event)` is pure — no clock,
 * no I/O — and returns the next state with the decisions to log. The controller feeds it ticks
 * (measurements), and people feed it promote/abort; routing follows from the state (`routingFor`).
 */

interface RuleState {
  failures: number
  consecutive_errors: number
  /** A pass or fail was measured during the current step. */
  conclusive: boolean
}

export interface CandidateState {
  model: string
  version: number
  role: 'canary' | 'shadow' | 'arm'
  /** Percent of traffic (canary, arm) or of requests mirrored (shadow). */
  weight: number
  status: 'active' | 'rejected'
  rules: Record<string, RuleState>
  /** A/B: the test metric over every request since the start, and the running always-valid p-value. */
  ab?: { summary: ArmSummary; p_value: number }
}

export interface RolloutState {
  phase: RolloutPhase
  /** Index of the current step (canary, shadow). */
  step: number
  step_started_at: number
  stable: { model: string; version: number; ab?: ArmSummary }
  candidates: CandidateState[]
  /** A timed pause is over but some rule has no conclusive measurement yet (logged once). */
  waiting: boolean
  /** Set when the rollout ended: the version that is stable now, and why. */
  result: { version: number; model: string; reason: string } | null
}

export type RolloutEvent =
  | {
      type: 'tick'
      now: number
      measurements: Measurement[]
      /** A/B: the test metric of requests since the last tick, per version. */
      ab?: Record<number, ArmSummary>
    }
  | { type: 'promote'; now: number; full: boolean; by: string }
  | { type: 'abort'; now: number; reason: string; by: string }
  /** A candidate could not be loaded by the server. */
  | { type: 'arm_failed'; now: number; version: number; reason: string }

export interface Decision {
  at: string
  kind: string
  message: string
  detail: Record<string, unknown>
}

const ENDED: RolloutPhase[] = ['promoted', 'aborted']

export function isEnded(state: RolloutState): boolean {
  return ENDED.includes(state.phase)
}

/** The state a rollout starts in, moved through its first steps (the first weight applies at once). */
export function startRollout(
  spec: RolloutSpec,
  stable: { model: string; version: number },
  candidates: { model: string; version: number; weight?: number }[],
  now: number,
): { state: RolloutState; decisions: Decision[] } {
  const role = spec.strategy === 'canary' ? 'canary' : spec.strategy === 'shadow' ? 'shadow' : 'arm'
  const state: RolloutState = {
    phase: 'progressing',
    step: 0,
    step_started_at: now,
    stable: spec.test ? { ...stable, ab: empty() } : { ...stable },
    candidates: candidates.map((c) => ({
      model: c.model,
      version: c.version,
      role,
      weight: role === 'arm' ? (c.weight ?? 0) : 0,
      status: 'active',
      rules: Object.fromEntries(spec.analysis.rules.map((r) => [r.name, freshRule()])),
      ...(spec.test && { ab: { summary: empty(), p_value: 1 } }),
    })),
    waiting: false,
    result: null,
  }
  const decisions: Decision[] = [
    decision(
      now,
      'start',
      `${spec.strategy} rollout of ${candidates.map((c) => `${c.model}@${c.version}`).join(', ')} against ${stable.model}@${stable.version}`,
      {
        strategy: spec.strategy,
        steps: spec.steps,
        analysis: spec.analysis,
        test: spec.test,
      },
    ),
  ]
  return advance(spec, state, now, decisions)
}

export function transition(
  spec: RolloutSpec,
  previous: RolloutState,
  event: RolloutEvent,
): { state: RolloutState; decisions: Decision[] } {
  const state: RolloutState = structuredClone(previous)
  const decisions: Decision[] = []
  if (isEnded(state)) return { state, decisions }
  const now = event.now
  switch (event.type) {
    case 'abort':
      return abort(state, now, decisions, `aborted by ${event.by}: ${event.reason}`, true)
    case 'arm_failed': {
      const arm = state.candidates.find((c) => c.version === event.version && c.status === 'active')
      if (!arm) return { state, decisions }
      return rejectArm(
        spec,
        state,
        arm,
        now,
        decisions,
        `version ${arm.version} could not be loaded: ${event.reason}`,
      )
    }
    case 'promote': {
      if (spec.strategy === 'ab' || event.full) {
        const winner = spec.strategy === 'ab' ? leader(spec, state) : active(state)[0]!
        return promote(
          state,
          winner,
          now,
          decisions,
          `promoted by ${event.by}${event.full && spec.strategy !== 'ab' ? ' (to the end)' : ''}`,
        )
      }
      const step = spec.steps[state.step]
      if (step && 'pause' in step) {
        decisions.push(decision(now, 'step', `pause ended by ${event.by}`, { step: state.step }))
        nextStep(state, now)
      }
      return advance(spec, state, now, decisions)
    }
    case 'tick': {
      // Every measurement is logged and counted first; then the first rule past its limits decides.
      const breaches: { arm: CandidateState; why: string; m: Measurement }[] = []
      for (const m of event.measurements) {
        const arm = state.candidates.find((c) => c.version === m.version && c.status === 'active')
        const rule = arm?.rules[m.rule]
        const limits = spec.analysis.rules.find((r) => r.name === m.rule)
        if (!arm || !rule || !limits) continue
        decisions.push(
          decision(now, 'measurement', `${m.rule} on version ${m.version}: ${m.verdict} — ${m.message}`, {
            ...m,
          }),
        )
        if (m.verdict === 'fail') rule.failures++
        if (m.verdict === 'error') rule.consecutive_errors++
        else rule.consecutive_errors = 0
        if (m.verdict === 'pass' || m.verdict === 'fail') rule.conclusive = true
        const why =
          rule.failures > limits.failure_limit
            ? `rule ${m.rule} failed ${rule.failures} time(s), more than its failure limit ${limits.failure_limit}: ${m.message}`
            : rule.consecutive_errors > limits.consecutive_error_limit
              ? `rule ${m.rule} could not be measured ${rule.consecutive_errors} times in a row (limit ${limits.consecutive_error_limit}): ${m.message}`
              : null
        if (why && !breaches.some((b) => b.arm === arm)) breaches.push({ arm, why, m })
      }
      for (const b of breaches) {
        const r = rejectArm(spec, state, b.arm, now, decisions, b.why, b.m)
        if (isEnded(r.state)) return r
      }
      if (spec.test && event.ab) return abLook(spec, state, event.ab, now, decisions)
      return advance(spec, state, now, decisions)
    }
  }
}

/** The traffic split the state implies; null once the rollout ended (everything to the stable). */
export function routingFor(id: string, spec: RolloutSpec, state: RolloutState): Routing | null {
  if (isEnded(state)) return null
  return {
    rollout: id,
    sticky_key: spec.sticky_key,
    arms: [
      {
        model: state.stable.model,
        version: state.stable.version,
        weight: 100 - liveWeight(state),
        role: 'stable',
      },
      ...offsets(state)
        .filter(({ c }) => c.status === 'active')
        .map(({ c, from }) => ({
          model: c.model,
          version: c.version,
          weight: c.weight,
          role: c.role,
          ...(c.role !== 'shadow' && { from }),
        })),
    ],
  }
}

/** Each candidate's fixed start among the sticky buckets: arms side by side, in the rollout's order. */
function offsets(state: RolloutState): { c: CandidateState; from: number }[] {
  let from = 0
  return state.candidates.map((c) => {
    const at = from
    if (c.role !== 'shadow') from += c.weight
    return { c, from: at }
  })
}

function liveWeight(state: RolloutState): number {
  return active(state)
    .filter((c) => c.role !== 'shadow')
    .reduce((s, c) => s + c.weight, 0)
}

/** Walks the steps from the current one: weights apply at once, a pause holds until it is over. */
function advance(spec: RolloutSpec, state: RolloutState, now: number, decisions: Decision[]) {
  if (spec.strategy === 'ab') return { state, decisions }
  while (state.step < spec.steps.length) {
    const step = spec.steps[state.step]!
    if ('setWeight' in step) {
      for (const c of active(state)) c.weight = step.setWeight
      decisions.push(
        decision(
          now,
          'step',
          `${spec.strategy === 'shadow' ? 'mirroring' : 'weight'} set to ${step.setWeight}%`,
          { step: state.step, weight: step.setWeight },
        ),
      )
      nextStep(state, now)
      continue
    }
    const duration = step.pause.duration_ms
    if (duration === null) {
      if (state.phase !== 'paused')
        decisions.push(decision(now, 'step', 'paused until `sluice rollout promote`', { step: state.step }))
      state.phase = 'paused'
      return { state, decisions }
    }
    state.phase = 'progressing'
    if (now - state.step_started_at < duration) return { state, decisions }
    const unmeasured = active(state).flatMap((c) =>
      Object.entries(c.rules)
        .filter(([, r]) => !r.conclusive)
        .map(([name]) => `${name} on version ${c.version}`),
    )
    if (unmeasured.length > 0) {
      // A pause ends only after every rule could judge the candidate: no traffic, no promotion.
      if (!state.waiting)
        decisions.push(
          decision(
            now,
            'waiting',
            `pause over, waiting for enough requests to measure ${unmeasured.join(', ')}`,
            { step: state.step, unmeasured },
          ),
        )
      state.waiting = true
      return { state, decisions }
    }
    decisions.push(
      decision(now, 'step', `pause of ${duration / 1000}s passed with every rule passing`, {
        step: state.step,
      }),
    )
    nextStep(state, now)
  }
  return promote(state, active(state)[0]!, now, decisions, 'every step passed')
}

function nextStep(state: RolloutState, now: number): void {
  state.step++
  state.step_started_at = now
  state.waiting = false
  for (const c of state.candidates) for (const r of Object.values(c.rules)) r.conclusive = false
}

/** A/B: merges the new requests into each arm's totals and looks at the sequential test. */
function abLook(
  spec: RolloutSpec,
  state: RolloutState,
  delta: Record<number, ArmSummary>,
  now: number,
  decisions: Decision[],
) {
  const test = spec.test!
  state.stable.ab = mergeArms(state.stable.ab ?? empty(), delta[state.stable.version] ?? empty())
  const arms = active(state)
  // Bonferroni over every arm the test started with: arms that left for other reasons still count.
  const alpha = test.alpha / state.candidates.length
  const winners: { arm: CandidateState; p: number }[] = []
  for (const arm of arms) {
    const ab = arm.ab!
    ab.summary = mergeArms(ab.summary, delta[arm.version] ?? empty())
    if (ab.summary.n < test.min_samples || state.stable.ab.n < test.min_samples) continue
    const r = msprt(state.stable.ab, ab.summary)
    ab.p_value = Math.min(ab.p_value, r.pValue)
    const better = test.goal === 'minimize' ? r.difference < 0 : r.difference > 0
    decisions.push(
      decision(
        now,
        'measurement',
        `A/B ${test.metric}: version ${arm.version} ${fmt(ab.summary.mean)} vs stable ${fmt(state.stable.ab.mean)}, always-valid p = ${ab.p_value.toPrecision(3)} (alpha ${alpha.toPrecision(3)})`,
        {
          version: arm.version,
          metric: test.metric,
          arm: ab.summary,
          stable: state.stable.ab,
          p_value: ab.p_value,
          alpha,
        },
      ),
    )
    if (ab.p_value >= alpha) continue
    if (better) winners.push({ arm, p: ab.p_value })
    else {
      const r2 = rejectArm(
        spec,
        state,
        arm,
        now,
        decisions,
        `A/B: worse than the stable on ${test.metric} (p = ${ab.p_value.toPrecision(3)})`,
      )
      if (isEnded(r2.state)) return r2
    }
  }
  if (winners.length > 0) {
    winners.sort((a, b) => a.p - b.p)
    const w = winners[0]!.arm
    return promote(
      state,
      w,
      now,
      decisions,
      `A/B: better than the stable on ${test.metric} (p = ${w.ab!.p_value.toPrecision(3)})`,
    )
  }
  return { state, decisions }
}

/** The active arm doing best on the A/B metric so far; a person cannot promote an arm with no data. */
function leader(spec: RolloutSpec, state: RolloutState): CandidateState {
  const sign = spec.test?.goal === 'maximize' ? -1 : 1
  const measured = active(state).filter((c) => (c.ab?.summary.n ?? 0) > 0)
  if (measured.length === 0)
    throw new SluiceError(
      'USAGE',
      'no A/B arm has answered a request yet, so none can be promoted; wait for traffic, or abort the test',
    )
  return measured.reduce((best, c) => (sign * c.ab!.summary.mean < sign * best.ab!.summary.mean ? c : best))
}

function rejectArm(
  spec: RolloutSpec,
  state: RolloutState,
  arm: CandidateState,
  now: number,
  decisions: Decision[],
  reason: string,
  measurement?: Measurement,
) {
  if (spec.strategy !== 'ab' || active(state).length === 1)
    return abort(state, now, decisions, reason, false, measurement)
  arm.status = 'rejected'
  decisions.push(
    decision(now, 'reject', `version ${arm.version} taken out of the A/B test: ${reason}`, {
      version: arm.version,
      reason,
      measurement,
    }),
  )
  return { state, decisions }
}

function abort(
  state: RolloutState,
  now: number,
  decisions: Decision[],
  reason: string,
  manual: boolean,
  measurement?: Measurement,
) {
  state.phase = 'aborted'
  state.result = { model: state.stable.model, version: state.stable.version, reason }
  decisions.push(
    decision(now, 'abort', `rolled back to ${state.stable.model}@${state.stable.version}: ${reason}`, {
      manual,
      stable: state.stable.version,
      rejected: active(state).map((c) => c.version),
      measurement,
    }),
  )
  return { state, decisions }
}

function promote(
  state: RolloutState,
  winner: CandidateState,
  now: number,
  decisions: Decision[],
  reason: string,
) {
  state.phase = 'promoted'
  state.result = { model: winner.model, version: winner.version, reason }
  decisions.push(
    decision(now, 'promote', `${winner.model}@${winner.version} promoted: ${reason}`, {
      version: winner.version,
      previous: state.stable.version,
    }),
  )
  return { state, decisions }
}

const active = (state: RolloutState) => state.candidates.filter((c) => c.status === 'active')
const empty = (): ArmSummary => ({ n: 0, mean: 0, variance: 0 })
const freshRule = (): RuleState => ({ failures: 0, consecutive_errors: 0, conclusive: false })
const fmt = (x: number) => x.toPrecision(4)

function decision(now: number, kind: string, message: string, detail: Record<string, unknown>): Decision {
  return { at: new Date(now).toISOString(), kind, message, detail }
}
