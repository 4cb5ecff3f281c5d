import { SluiceError } from '../core/errors.js'
import { newId } from '../core/ids.js'
import type { LocalRegistry } from '../registry/local.js'
import { checkLoads, deploy } from '../serving/deploy.js'
import { type AliasMove, aliasMoveDecision, rejectedRefusal } from '../store/rejections.js'
import type { RolloutDecision, RolloutRecord } from '../store/types.js'
import {
  type Decision,
  isEnded,
  type RolloutEvent,
  type RolloutState,
  routingFor,
  startRollout,
  transition,
} from './machine.js'
import { buildPlan, type Plan, type PlanInput } from './plan.js'
import { rejectionOf } from './rejections.js'
import type { RolloutSpec } from './spec.js'

/**
 * What people and the server do to rollouts, through the store: start one, move it (promote,
 * abort, a controller's tick), read it. Every move is a compare-and-set on the rollout's revision,
 * so a promote from the CLI and an abort from the server's analysis cannot both apply.
 */

export async function beginRollout(
  registry: LocalRegistry,
  deployment: string,
  ref: string,
  plan: Plan,
  now = Date.now(),
  options: { force?: boolean } = {},
): Promise<RolloutRecord> {
  const current = await registry.store.deployments.getDeployment(deployment)
  if (!current)
    throw new SluiceError(
      'NOT_FOUND',
      `deployment "${deployment}" does not exist; a ${plan.spec.strategy} rollout needs a stable version first: \`sluice deploy NAME@REF --deployment ${deployment}\``,
    )
  const refs = [
    { ref, weight: plan.weight ?? undefined },
    ...plan.arms.map((a) => ({ ref: a.model, weight: a.weight })),
  ]
  const candidates: { model: string; version: number; weight: number | undefined }[] = []
  for (const r of refs) {
    const v = await registry.getModelVersion(r.ref)
    if (v.name === current.model && v.version === current.version)
      throw new SluiceError(
        'USAGE',
        `${v.name}@${v.version} is already the stable version of "${deployment}"; roll out another version`,
      )
    if (v.status === 'rejected' && !options.force)
      throw new SluiceError(
        'CONFLICT',
        rejectedRefusal(`${v.name}@${v.version}`, v.status_reason, 'roll it out'),
      )
    if (candidates.some((c) => c.model === v.name && c.version === v.version))
      throw new SluiceError('USAGE', `${v.name}@${v.version} is named twice; give each arm once`)
    // Versions behind one deployment are told apart by number (routing, metrics, x-model-version).
    const clash = [current, ...candidates].find((c) => c.version === v.version)
    if (clash)
      throw new SluiceError(
        'USAGE',
        `${v.name}@${v.version} has the same version number as ${clash.model}@${clash.version} in this rollout, and versions behind a deployment are told apart by number; register it (or copy it) under a number not used here`,
      )
    await checkLoads(
      registry,
      v.name,
      v.version,
      `the rollout was not started and "${deployment}" still answers with ${current.model}@${current.version}`,
    )
    candidates.push({ model: v.name, version: v.version, weight: r.weight })
  }
  const id = newId('ro_')
  const { state, decisions } = startRollout(plan.spec, current, candidates, now)
  if (isEnded(state))
    throw new SluiceError('INTERNAL', `the ${plan.spec.strategy} rollout ended before it started`) // plans always hold a pause
  return registry.store.rollouts.startRollout({
    record: {
      id,
      deployment,
      strategy: plan.spec.strategy,
      phase: state.phase,
      spec: plan.spec as unknown as Record<string, unknown>,
      state: state as unknown as Record<string, unknown>,
      created_at: new Date(now).toISOString(),
    },
    routing: routingFor(id, plan.spec, state)!,
    decisions,
  })
}

/** The running rollout of a deployment, or a USAGE error saying there is none. */
export async function runningRollout(registry: LocalRegistry, deployment: string): Promise<RolloutRecord> {
  const latest = await registry.store.rollouts.latestRollout(deployment)
  if (!latest || latest.phase === 'promoted' || latest.phase === 'aborted')
    throw new SluiceError(
      'USAGE',
      `no rollout is running on deployment "${deployment}"${latest ? ` (the last one was ${latest.phase} at ${latest.updated_at})` : ''}; start one with \`sluice deploy NAME@REF --deployment ${deployment} --strategy canary\``,
    )
  return latest
}

export interface Moved {
  record: RolloutRecord
  state: RolloutState
  /** What the move decided, with the alias moves of the versions it rejected (`kind: alias`). */
  decisions: Decision[]
  aliases: AliasMove[]
}

/**
 * Applies an event to a rollout and writes the result in one transaction: state, routing,
 * decisions, on its end the deployment's new stable version, and the versions it rejects (a
 * version the analysis failed, or, `byHand`, the candidates of a rollout a person rolled back)
 * with the aliases that named them moved to the version the deployment answers with now. A
 * promoted version then becomes `production` with the `champion` alias. Returns null when another
 * process moved the rollout first (`record` is then stale).
 */
export async function moveRollout(
  registry: LocalRegistry,
  record: RolloutRecord,
  event: RolloutEvent,
  beforeWrite?: (state: RolloutState) => void,
  options: { byHand?: string } = {},
): Promise<Moved | null> {
  const spec = record.spec as unknown as RolloutSpec
  const { state, decisions } = transition(spec, record.state as unknown as RolloutState, event)
  if (decisions.length === 0) return { record, state, decisions, aliases: [] }
  beforeWrite?.(state)
  const result = state.result
  const at = new Date(event.now).toISOString()
  const reject = rejectionOf(decisions, state, {
    rollout: record.id,
    deployment: record.deployment,
    ...(options.byHand !== undefined && { byHand: options.byHand }),
  })
  const written = await registry.store.rollouts.updateRollout({
    id: record.id,
    revision: record.revision,
    phase: state.phase,
    state: state as unknown as Record<string, unknown>,
    routing: routingFor(record.id, spec, state),
    ...(state.phase === 'promoted' &&
      result && { version: { model: result.model, version: result.version, alias: 'champion' } }),
    ...(reject && { reject }),
    decisions,
    at,
  })
  if (!written) return null
  await markPromotion(registry, decisions, state)
  const aliases = written.aliases
  return {
    record: written.record,
    state,
    decisions: [...decisions, ...aliases.map((m) => aliasMoveDecision(m, at))],
    aliases,
  }
}

/** Moves the running rollout, retrying when another process moved it between our read and write. */
export async function moveRunning(
  registry: LocalRegistry,
  deployment: string,
  event: (now: number) => RolloutEvent,
  options: { byHand?: string } = {},
): Promise<Moved> {
  for (let attempt = 0; ; attempt++) {
    const record = await runningRollout(registry, deployment)
    const moved = await moveRollout(registry, record, event(Date.now()), undefined, options)
    if (moved) return moved
    if (attempt >= 4)
      throw new SluiceError('STORE_BUSY', `rollout of "${deployment}" kept changing under us; try again`)
  }
}

async function markPromotion(
  registry: LocalRegistry,
  decisions: Decision[],
  state: RolloutState,
): Promise<void> {
  for (const d of decisions) {
    if (d.kind === 'promote' && state.result) {
      await registry.setModelStatus(`${state.result.model}@${state.result.version}`, 'production', null)
      await registry.setAlias(state.result.model, 'champion', state.result.version)
    }
  }
}

/** `sluice.rollout/v1`: the deployment's rollout (the running one, else the last), or idle. */
export async function rolloutStatus(registry: LocalRegistry, deployment: string, decisionLimit = 20) {
  const current = await registry.store.deployments.getDeployment(deployment)
  if (!current)
    throw new SluiceError(
      'NOT_FOUND',
      `deployment "${deployment}" not found; list them with \`sluice deployments list\``,
    )
  const latest = await registry.store.rollouts.latestRollout(deployment)
  const state = latest?.state as unknown as RolloutState | undefined
  const decisions = latest
    ? await registry.store.rollouts.decisions(deployment, { rollout: latest.id, limit: decisionLimit })
    : []
  const routing = current.routing
  return {
    schema: 'sluice.rollout/v1' as const,
    deployment,
    id: latest?.id ?? null,
    strategy: latest?.strategy ?? null,
    state: latest?.phase ?? 'idle',
    stable: { model: current.model, version: current.version },
    step:
      state && latest && !isEnded(state)
        ? { index: state.step, of: (latest.spec as unknown as RolloutSpec).steps.length }
        : null,
    result: state?.result ?? null,
    arms: routing
      ? routing.arms.map((a) => ({ model: a.model, version: a.version, weight: a.weight, role: a.role }))
      : [{ model: current.model, version: current.version, weight: 100, role: 'stable' as const }],
    started_at: latest?.created_at ?? null,
    updated_at: latest?.updated_at ?? null,
    decisions: decisions.map(({ id: _, rollout: __, deployment: ___, ...d }) => d),
  }
}

export type RolloutDoc = Awaited<ReturnType<typeof rolloutStatus>>

/**
 * `sluice rollback D`: a running rollout is aborted (everything back to the stable version) and its
 * candidates marked rejected; otherwise the deployment goes back to the last version before the
 * current one that is not rejected or archived, and the current one is marked rejected. Either way
 * the aliases that named a rejected version move to the version answering now (or are removed
 * when it is of another model), in the transaction that rejects it, and each move is logged.
 */
export async function rollback(
  registry: LocalRegistry,
  deployment: string,
): Promise<{ from: number; to: number; model: string; aliases: AliasMove[] }> {
  const latest = await registry.store.rollouts.latestRollout(deployment)
  if (latest && !isEnded(latest.state as unknown as RolloutState)) {
    const { state, aliases } = await moveRunning(
      registry,
      deployment,
      (now) => ({ type: 'abort', now, reason: 'manual rollback', by: 'sluice rollback' }),
      { byHand: 'rolled back by hand' },
    )
    return {
      from: state.candidates[0]?.version ?? state.stable.version,
      to: state.stable.version,
      model: state.stable.model,
      aliases,
    }
  }
  const current = await registry.store.deployments.getDeployment(deployment)
  if (!current)
    throw new SluiceError(
      'NOT_FOUND',
      `deployment "${deployment}" not found; list them with \`sluice deployments list\``,
    )
  for (const event of await registry.store.deployments.history(deployment, 1000)) {
    if (event.model !== current.model || event.version === current.version) continue
    const doc = await registry.getModelVersion(`${event.model}@${event.version}`)
    if (doc.status === 'rejected' || doc.status === 'archived') continue
    await deploy(registry, `${event.model}@${event.version}`, deployment, { batching: current.batching })
    const at = new Date().toISOString()
    const message = `rolled back by hand from ${current.model}@${current.version} to ${event.model}@${event.version}`
    const aliases = await registry.store.rejectVersions(
      {
        versions: [
          {
            model: current.model,
            version: current.version,
            reason: `rolled back by hand to version ${event.version} — deployment "${deployment}", ${at}`,
          },
        ],
        serving: { model: event.model, version: event.version },
      },
      // Logged beside the deployment's rollouts, under an id of its own.
      {
        rollout: newId('rb_'),
        deployment,
        at,
        decisions: [
          {
            at,
            kind: 'rollback',
            message,
            detail: { model: current.model, from: current.version, to: event.version },
          },
        ],
      },
    )
    return { from: current.version, to: event.version, model: event.model, aliases }
  }
  throw new SluiceError(
    'USAGE',
    `deployment "${deployment}" has no earlier healthy version of ${current.model} to roll back to (none that is not rejected or archived); deploy one with \`sluice deploy\``,
  )
}

/** `sluice.rollout-history/v1`: the decision log, newest first. */
export interface RolloutHistoryDoc {
  schema: 'sluice.rollout-history/v1'
  deployment: string
  items: (RolloutDecision & { id: number })[]
}

/** `sluice.rollback/v1`: the version that answered (now rejected), the one answering now, and where their aliases went. */
export interface RollbackDoc {
  schema: 'sluice.rollback/v1'
  deployment: string
  model: string
  from: number
  to: number
  aliases: AliasMove[]
}

/**
 * What the CLI does with rollouts, wherever they run: through this home's store
 * (`localRollouts`) or a running server's REST API (`HttpRollouts`, for `--server URL`).
 */
export interface Rollouts {
  /** `force` rolls out a rejected version. */
  start(ref: string, deployment: string, plan: PlanInput, options?: { force?: boolean }): Promise<RolloutDoc>
  status(deployment: string): Promise<RolloutDoc>
  promote(deployment: string, full: boolean): Promise<RolloutDoc>
  abort(deployment: string, reason: string): Promise<RolloutDoc>
  history(deployment: string, limit: number): Promise<RolloutHistoryDoc>
  rollback(deployment: string): Promise<RollbackDoc>
  close(): Promise<void>
}

export function localRollouts(registry: LocalRegistry, by = 'sluice rollout'): Rollouts {
  return {
    async start(ref, deployment, input, options = {}) {
      await beginRollout(registry, deployment, ref, buildPlan(input), Date.now(), options)
      return rolloutStatus(registry, deployment)
    },
    status: (deployment) => rolloutStatus(registry, deployment),
    async promote(deployment, full) {
      await moveRunning(registry, deployment, (now) => ({ type: 'promote', now, full, by: `${by} promote` }))
      return rolloutStatus(registry, deployment)
    },
    async abort(deployment, reason) {
      await moveRunning(registry, deployment, (now) => ({ type: 'abort', now, reason, by: `${by} abort` }))
      return rolloutStatus(registry, deployment)
    },
    async history(deployment, limit) {
      const items = await registry.store.rollouts.decisions(deployment, { limit })
      return { schema: 'sluice.rollout-history/v1', deployment, items }
    },
    async rollback(deployment) {
      return { schema: 'sluice.rollback/v1', deployment, ...(await rollback(registry, deployment)) }
    },
    close: () => registry.close(),
  }
}
