import type { Kysely, Transaction } from 'kysely'
import { SluiceError } from '../core/errors.js'
import { rejectInTransaction } from './kysely-reject.js'
import { type AliasMove, aliasMoveDecision } from './rejections.js'
import type { Database } from './schema.js'
import type {
  RolloutChange,
  RolloutDecision,
  RolloutPhase,
  RolloutRecord,
  RolloutStore,
  Routing,
} from './types.js'

type Tx = <T>(fn: (trx: Transaction<Database>) => Promise<T>) => Promise<T>
type Decision = Omit<RolloutDecision, 'rollout' | 'deployment'>

const ENDED: RolloutPhase[] = ['promoted', 'aborted']

/** Rollouts and their decision log; each change moves the deployment's routing in the same transaction. */
export class KyselyRolloutStore implements RolloutStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly tx: Tx,
  ) {}

  startRollout(input: {
    record: Omit<RolloutRecord, 'revision' | 'updated_at'>
    routing: Routing
    decisions: Decision[]
  }): Promise<RolloutRecord> {
    const r = input.record
    return this.tx(async (trx) => {
      const running = await trx
        .selectFrom('rollouts')
        .select(['id', 'strategy'])
        .where('active', '=', r.deployment)
        .executeTakeFirst()
      if (running) throw alreadyRunning(r.deployment, running.strategy, running.id)
      const deployment = await trx
        .selectFrom('deployments')
        .select(['revision'])
        .where('name', '=', r.deployment)
        .executeTakeFirst()
      if (!deployment)
        throw new SluiceError(
          'NOT_FOUND',
          `deployment "${r.deployment}" does not exist; a rollout needs a stable version: \`sluice deploy NAME@REF --deployment ${r.deployment}\` first`,
        )
      const row = {
        id: r.id,
        deployment: r.deployment,
        active: r.deployment,
        strategy: r.strategy,
        phase: r.phase,
        spec: JSON.stringify(r.spec),
        state: JSON.stringify(r.state),
        revision: 1,
        created_at: r.created_at,
        updated_at: r.created_at,
      }
      try {
        await trx.insertInto('rollouts').values(row).execute()
      } catch (e) {
        // Another process's rollout won the unique index between our read and our write.
        if (/unique|duplicate/i.test(String(e))) throw alreadyRunning(r.deployment, 'another', '')
        throw e
      }
      await trx
        .updateTable('deployments')
        .set({
          routing: JSON.stringify(input.routing),
          revision: Number(deployment.revision) + 1,
          updated_at: r.created_at,
        })
        .where('name', '=', r.deployment)
        .execute()
      await this.log(trx, r.id, r.deployment, input.decisions)
      return toRecord(row)
    })
  }

  updateRollout(change: RolloutChange): Promise<{ record: RolloutRecord; aliases: AliasMove[] } | null> {
    return this.tx(async (trx) => {
      const current = await trx
        .selectFrom('rollouts')
        .selectAll()
        .where('id', '=', change.id)
        .executeTakeFirst()
      if (!current || Number(current.revision) !== change.revision) return null
      const ended = ENDED.includes(change.phase)
      const row = {
        ...current,
        active: ended ? null : current.deployment,
        phase: change.phase,
        state: JSON.stringify(change.state),
        revision: change.revision + 1,
        updated_at: change.at,
      }
      await trx.updateTable('rollouts').set(row).where('id', '=', change.id).execute()
      const deployment = await trx
        .selectFrom('deployments')
        .selectAll()
        .where('name', '=', current.deployment)
        .executeTakeFirstOrThrow()
      const moved = change.version
      const routing = change.routing === null ? null : JSON.stringify(change.routing)
      // The deployment changes (and servers rebuild its router) only when the split or the version does.
      if (moved || routing !== deployment.routing)
        await trx
          .updateTable('deployments')
          .set({
            routing,
            revision: Number(deployment.revision) + 1,
            updated_at: change.at,
            ...(moved && { model: moved.model, version: moved.version, alias: moved.alias }),
          })
          .where('name', '=', current.deployment)
          .execute()
      if (moved)
        await trx
          .insertInto('deployment_events')
          .values({
            deployment: current.deployment,
            model: moved.model,
            version: moved.version,
            alias: moved.alias,
            previous_version: deployment.model === moved.model ? Number(deployment.version) : null,
            at: change.at,
          })
          .execute()
      const aliases = change.reject ? await rejectInTransaction(trx, change.reject, change.at) : []
      await this.log(trx, change.id, current.deployment, [
        ...change.decisions,
        ...aliases.map((m) => aliasMoveDecision(m, change.at)),
      ])
      return { record: toRecord(row), aliases }
    })
  }

  async getRollout(id: string): Promise<RolloutRecord | null> {
    const r = await this.db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst()
    return r ? toRecord(r) : null
  }

  async latestRollout(deployment: string): Promise<RolloutRecord | null> {
    const r = await this.db
      .selectFrom('rollouts')
      .selectAll()
      .where('deployment', '=', deployment)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst()
    return r ? toRecord(r) : null
  }

  async activeRollouts(): Promise<RolloutRecord[]> {
    const rows = await this.db.selectFrom('rollouts').selectAll().where('active', 'is not', null).execute()
    return rows.map(toRecord)
  }

  async decisions(
    deployment: string,
    options: { rollout?: string; limit: number },
  ): Promise<(RolloutDecision & { id: number })[]> {
    let q = this.db.selectFrom('rollout_decisions').selectAll().where('deployment', '=', deployment)
    if (options.rollout) q = q.where('rollout', '=', options.rollout)
    const rows = await q.orderBy('id', 'desc').limit(options.limit).execute()
    return rows.map((r) => ({ ...r, id: Number(r.id), detail: JSON.parse(r.detail) }))
  }

  private log(trx: Transaction<Database>, rollout: string, deployment: string, decisions: Decision[]) {
    return logDecisions(trx, rollout, deployment, decisions)
  }
}

/** Appends to a deployment's decision log, inside the caller's transaction. */
export async function logDecisions(
  trx: Transaction<Database>,
  rollout: string,
  deployment: string,
  decisions: Decision[],
): Promise<void> {
  if (decisions.length === 0) return
  await trx
    .insertInto('rollout_decisions')
    .values(decisions.map((d) => ({ ...d, rollout, deployment, detail: JSON.stringify(d.detail) })))
    .execute()
}

function alreadyRunning(deployment: string, strategy: string, id: string): SluiceError {
  return new SluiceError(
    'CONFLICT',
    `a ${strategy} rollout${id ? ` (${id})` : ''} is already running on deployment "${deployment}"; see it with \`sluice rollout status ${deployment}\`, and promote or abort it before starting another`,
  )
}

function toRecord(r: Database['rollouts']): RolloutRecord {
  return {
    id: r.id,
    deployment: r.deployment,
    strategy: r.strategy,
    phase: r.phase as RolloutPhase,
    spec: JSON.parse(r.spec),
    state: JSON.parse(r.state),
    revision: Number(r.revision),
    created_at: r.created_at,
    updated_at: r.updated_at,
  }
}
