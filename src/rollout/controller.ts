import { Counter, Gauge, type Registry } from 'prom-client'
import type { LocalRegistry } from '../registry/local.js'
import type { DeploymentTable } from '../serving/deployments.js'
import type { Outcome, OutcomeObserver } from '../serving/outcome.js'
import { type ArmSummary, mergeArms } from '../stats/msprt.js'
import type { RolloutRecord } from '../store/types.js'
import { type Measurement, measureRule, type QualitySource } from './analysis.js'
import { type RolloutEvent, type RolloutState, routingFor } from './machine.js'
import { rowPredictions } from './predictions.js'
import { moveRollout } from './service.js'
import type { RolloutSpec } from './spec.js'
import { SampleWindow } from './window.js'

export interface ControllerOptions {
  registry: LocalRegistry
  table: DeploymentTable
  /** Subscribes to the server's request outcomes. */
  observe(observer: OutcomeObserver): void
  /** How often the store is read for rollouts started or moved elsewhere. */
  pollMs?: number
  quality?: (deployment: string) => QualitySource | undefined
  log: (entry: Record<string, unknown>) => void
  now?: () => number
  /** Where the rollout metrics are exposed (the server's `/metrics` registry). */
  metrics?: Registry
}

const EMPTY: ArmSummary = { n: 0, mean: 0, variance: 0 }

interface Tracked {
  record: RolloutRecord
  window: SampleWindow
  /** A/B: the test metric of requests since the last tick, per version. */
  ab: Map<number, ArmSummary>
  lastTick: number
}

/**
 * Runs the rollouts of the deployments this server serves: listens to every request's outcome,
 * and every analysis interval measures the rules, feeds the state machine and writes what it
 * decided. An abort flips this server's routing back to the stable version before the decision
 * is written, so no request reaches the rejected version once the verdict is in.
 */
export class RolloutController {
  private readonly tracked = new Map<string, Tracked>()
  private timer: NodeJS.Timeout | undefined
  private busy: Promise<void> | null = null
  private readonly now: () => number

  private readonly decided: Counter<'deployment' | 'kind'> | null

  constructor(private readonly o: ControllerOptions) {
    this.now = o.now ?? Date.now
    o.observe((outcome) => this.hear(outcome))
    const registers = o.metrics ? [o.metrics] : []
    this.decided = o.metrics
      ? new Counter({
          name: 'sluice_rollout_decisions_total',
          help: 'Rollout log entries written by this server, by deployment and kind (measurement, step, abort, promote, …).',
          labelNames: ['deployment', 'kind'] as const,
          registers,
        })
      : null
    if (o.metrics) {
      const table = o.table
      new Gauge({
        name: 'sluice_rollout_weight',
        help: 'Percent of requests each version of a deployment under a rollout gets (for a shadow: the share copied to it).',
        labelNames: ['deployment', 'version', 'role'] as const,
        registers,
        collect() {
          this.reset()
          for (const d of table.list())
            for (const arm of d.router?.routing?.arms ?? [])
              this.set(
                { deployment: d.record.name, version: String(arm.version), role: arm.role },
                arm.weight,
              )
        },
      })
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.pass(), Math.min(this.o.pollMs ?? 250, 250))
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** One pass: read the running rollouts, tick those whose interval is up; passes never overlap. */
  pass(): Promise<void> {
    this.busy ??= this.run()
      .catch((e) => this.o.log({ level: 'error', msg: 'rollout controller failed', error: String(e) }))
      .finally(() => {
        this.busy = null
      })
    return this.busy
  }

  private hear(o: Outcome): void {
    const t = this.tracked.get(o.deployment)
    if (!t) return
    t.window.add(o)
    const test = (t.record.spec as unknown as RolloutSpec).test
    if (!test || o.role === 'shadow') return
    const value =
      test.metric === 'error_rate'
        ? o.status >= 500
          ? 1
          : 0
        : test.metric === 'latency_ms'
          ? o.latency_ms
          : meanScore(o)
    if (value === null) return
    t.ab.set(o.version, mergeArms(t.ab.get(o.version) ?? EMPTY, { n: 1, mean: value, variance: 0 }))
  }

  private async run(): Promise<void> {
    const running = await this.o.registry.store.rollouts.activeRollouts()
    const names = new Set(running.map((r) => r.deployment))
    for (const name of this.tracked.keys()) if (!names.has(name)) this.tracked.delete(name)
    for (const record of running) {
      if (!this.o.table.get(record.deployment)?.current) continue // not served here
      let t = this.tracked.get(record.deployment)
      if (!t || t.record.id !== record.id) {
        t = { record, window: new SampleWindow(), ab: new Map(), lastTick: this.now() }
        this.tracked.set(record.deployment, t)
      }
      t.record = record
      const spec = record.spec as unknown as RolloutSpec
      if (this.now() - t.lastTick >= spec.analysis.interval_ms) await this.tick(t)
    }
  }

  private async tick(t: Tracked): Promise<void> {
    const now = this.now()
    t.lastTick = now
    const spec = t.record.spec as unknown as RolloutSpec
    const state = t.record.state as unknown as RolloutState
    const served = this.o.table.get(t.record.deployment)
    const failed = state.candidates.find(
      (c) => c.status === 'active' && served?.armProblems.some((p) => p.version === c.version),
    )
    const event: RolloutEvent = failed
      ? {
          type: 'arm_failed',
          now,
          version: failed.version,
          reason: served!.armProblems.find((p) => p.version === failed.version)!.problem,
        }
      : {
          type: 'tick',
          now,
          measurements: this.measure(t, spec, state, now),
          ...(spec.test && { ab: Object.fromEntries(t.ab) }),
        }
    // The A/B deltas are spent only by a tick that carried them and was written.
    const delta = t.ab
    if (event.type === 'tick') t.ab = new Map()
    const keep = () => {
      if (event.type === 'tick')
        for (const [v, sum] of delta) t.ab.set(v, mergeArms(sum, t.ab.get(v) ?? EMPTY))
    }
    let moved: Awaited<ReturnType<typeof moveRollout>>
    try {
      moved = await moveRollout(this.o.registry, t.record, event, (next) => {
        // Traffic leaving a candidate flips here before the write: it stops answering now. (A
        // promotion waits for the store, so a person's abort written meanwhile wins.)
        const dropped =
          next.phase === 'aborted' || next.candidates.some((c, i) => c.status !== state.candidates[i]!.status)
        if (dropped)
          this.o.table.reroute(t.record.deployment, routingFor(t.record.id, spec, next), next.stable)
      })
    } catch (e) {
      keep()
      throw e
    }
    if (!moved) {
      keep()
      await this.o.table.refresh() // another process moved it: follow the store
      return
    }
    t.record = moved.record
    for (const d of moved.decisions) this.decided?.inc({ deployment: t.record.deployment, kind: d.kind })
    for (const d of moved.decisions)
      if (d.kind !== 'measurement')
        this.o.log({
          level: d.kind === 'abort' || d.kind === 'reject' ? 'warn' : 'info',
          msg: `rollout ${d.kind}`,
          deployment: t.record.deployment,
          rollout: t.record.id,
          detail: d.message,
        })
    if (moved.decisions.some((d) => d.kind !== 'measurement')) await this.o.table.refresh()
  }

  private measure(t: Tracked, spec: RolloutSpec, state: RolloutState, now: number): Measurement[] {
    const since = now - spec.analysis.window_ms
    const stable = t.window.recent(state.stable.version, since)
    const quality = this.o.quality?.(t.record.deployment)
    return state.candidates
      .filter((c) => c.status === 'active')
      .flatMap((c) => {
        const samples = t.window.recent(c.version, since)
        return spec.analysis.rules.map((rule) =>
          measureRule(rule, c.version, samples, stable, { quality, since }),
        )
      })
  }
}

function meanScore(o: Outcome): number | null {
  if (!o.outputs) return null
  const scores = rowPredictions(o.outputs, o.signature).scores
  if (!scores || scores.length === 0) return null
  return scores.reduce((a, b) => a + b, 0) / scores.length
}
