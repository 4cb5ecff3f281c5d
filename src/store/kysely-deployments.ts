import type { Kysely, Transaction } from 'kysely'
import { SluiceError } from '../core/errors.js'
import { versionOf } from './kysely-reject.js'
import { rejectedRefusal } from './rejections.js'
import type { Database } from './schema.js'
import type { DeploymentEvent, DeploymentRecord, DeploymentStore } from './types.js'

type Tx = <T>(fn: (trx: Transaction<Database>) => Promise<T>) => Promise<T>

/** The deployments part of the store, in the same portable Kysely queries as the rest. */
export class KyselyDeploymentStore implements DeploymentStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly tx: Tx,
  ) {}

  async setDeployment(input: {
    name: string
    model: string
    version: number
    alias: string | null
    batching: DeploymentRecord['batching']
    at: string
    force?: boolean
  }): Promise<DeploymentRecord> {
    return this.tx(async (trx) => {
      const target = await versionOf(trx, input.model, input.version)
      if (target?.status === 'rejected' && !input.force)
        throw new SluiceError(
          'CONFLICT',
          rejectedRefusal(`${input.model}@${input.version}`, target.status_reason, 'deploy it'),
        )
      const running = await trx
        .selectFrom('rollouts')
        .select(['strategy'])
        .where('active', '=', input.name)
        .executeTakeFirst()
      if (running)
        throw new SluiceError(
          'CONFLICT',
          `a ${running.strategy} rollout is running on deployment "${input.name}"; finish it first (\`sluice rollout promote --full ${input.name}\` or \`sluice rollout abort ${input.name}\`)`,
        )
      const before = await trx
        .selectFrom('deployments')
        .selectAll()
        .where('name', '=', input.name)
        .executeTakeFirst()
      const row = {
        name: input.name,
        model: input.model,
        version: input.version,
        alias: input.alias,
        batch_max_rows: input.batching?.max_rows ?? null,
        batch_max_wait_ms: input.batching?.max_wait_ms ?? null,
        routing: null,
        revision: (before ? Number(before.revision) : 0) + 1,
        created_at: before?.created_at ?? input.at,
        updated_at: input.at,
      }
      if (before) await trx.updateTable('deployments').set(row).where('name', '=', input.name).execute()
      else await trx.insertInto('deployments').values(row).execute()
      await trx
        .insertInto('deployment_events')
        .values({
          deployment: input.name,
          model: input.model,
          version: input.version,
          alias: input.alias,
          previous_version: before && before.model === input.model ? Number(before.version) : null,
          at: input.at,
        })
        .execute()
      return toRecord(row)
    })
  }

  async getDeployment(name: string): Promise<DeploymentRecord | null> {
    const r = await this.db.selectFrom('deployments').selectAll().where('name', '=', name).executeTakeFirst()
    return r ? toRecord(r) : null
  }

  async listDeployments(): Promise<DeploymentRecord[]> {
    return (await this.db.selectFrom('deployments').selectAll().orderBy('name').execute()).map(toRecord)
  }

  async history(name: string, limit: number): Promise<DeploymentEvent[]> {
    const rows = await this.db
      .selectFrom('deployment_events')
      .select(['deployment', 'model', 'version', 'alias', 'previous_version', 'at'])
      .where('deployment', '=', name)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute()
    return rows.map((r) => ({
      ...r,
      version: Number(r.version),
      previous_version: r.previous_version === null ? null : Number(r.previous_version),
    }))
  }
}

function toRecord(r: Database['deployments']): DeploymentRecord {
  const { batch_max_rows, batch_max_wait_ms, routing, ...rest } = r
  return {
    ...rest,
    routing: routing === null ? null : JSON.parse(routing),
    version: Number(r.version),
    revision: Number(r.revision),
    batching:
      batch_max_rows === null
        ? null
        : { max_rows: Number(batch_max_rows), max_wait_ms: Number(batch_max_wait_ms) },
  }
}
