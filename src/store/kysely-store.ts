import { type Kysely, Migrator, type Transaction } from 'kysely'
import { SluiceError } from '../core/errors.js'
import type { Digest } from '../core/hash.js'
import type { ArtifactKind, ColumnSchema, DatasetFormat, ModelStatus, Signature } from '../core/types.js'
import { KyselyDeploymentStore } from './kysely-deployments.js'
import { KyselyPipelineStore } from './kysely-pipeline.js'
import { rejectInTransaction } from './kysely-reject.js'
import { KyselyRolloutStore, logDecisions } from './kysely-rollouts.js'
import { KyselyTokenStore } from './kysely-tokens.js'
import { type DialectName, migrations } from './migrations.js'
import { type AliasMove, aliasMoveDecision, type Rejection, rejectedRefusal } from './rejections.js'
import type { Database } from './schema.js'
import { searchVersionIds } from './search.js'
import type {
  DatasetSummary,
  DatasetVersionRecord,
  DecisionLogEntry,
  DeploymentStore,
  ModelVersionRecord,
  NewDatasetVersion,
  NewModelVersion,
  Page,
  PageRequest,
  PipelineStore,
  RolloutStore,
  Routing,
  Store,
  TokenStore,
  VersionFilter,
} from './types.js'

type Db = Kysely<Database> | Transaction<Database>

export interface DialectHooks {
  name: DialectName
  /** True for errors that mean "another writer holds the lock; try again". */
  isRetryable(e: unknown): boolean
  /** The error a user sees for a database error that is theirs to fix (a full disk); others as they are. */
  explain(e: unknown): unknown
}

const MAX_ATTEMPTS = 12

/** The one implementation of Store, written in portable Kysely queries (no dialect-only SQL). */
export class KyselyStore implements Store {
  readonly pipeline: PipelineStore
  readonly deployments: DeploymentStore
  readonly rollouts: RolloutStore
  readonly tokens: TokenStore

  private constructor(
    private readonly db: Kysely<Database>,
    private readonly hooks: DialectHooks,
  ) {
    this.pipeline = new KyselyPipelineStore(db, (fn) => this.tx(fn))
    this.deployments = new KyselyDeploymentStore(db, (fn) => this.tx(fn))
    this.rollouts = new KyselyRolloutStore(db, (fn) => this.tx(fn))
    this.tokens = new KyselyTokenStore(db, (fn) => this.tx(fn))
  }

  static async open(db: Kysely<Database>, hooks: DialectHooks): Promise<KyselyStore> {
    const store = new KyselyStore(db, hooks)
    await store.retrying(() => store.migrate())
    return store
  }

  private async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: migrations(this.hooks.name) })
    const { error } = await migrator.migrateToLatest()
    if (error) {
      const explained = this.hooks.explain(error)
      if (explained !== error) throw explained
      throw new SluiceError('INTERNAL', `could not migrate the metadata store: ${String(error)}`, {
        cause: error,
      })
    }
  }

  /** Runs `fn` in a transaction, retrying when another process holds the write lock. */
  private tx<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.retrying(() => this.db.transaction().execute(fn))
  }

  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (e) {
        if (!this.hooks.isRetryable(e)) throw this.hooks.explain(e)
        if (attempt >= MAX_ATTEMPTS) {
          throw new SluiceError(
            'STORE_BUSY',
            `the metadata store stayed locked by another process after ${MAX_ATTEMPTS} attempts; try again`,
            { cause: e },
          )
        }
        await new Promise((r) => setTimeout(r, Math.min(1000, 10 * 2 ** attempt) * (0.5 + Math.random())))
      }
    }
  }

  async createModelVersion(input: NewModelVersion): Promise<ModelVersionRecord> {
    return this.tx(async (trx) => {
      await trx
        .insertInto('models')
        .values({
          name: input.name,
          description: null,
          next_version: 1,
          created_at: input.created_at,
          updated_at: input.created_at,
        })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute()
      const wanted = input.version ?? null
      if (wanted !== null) {
        const before = await trx
          .selectFrom('models')
          .select('next_version')
          .where('name', '=', input.name)
          .executeTakeFirstOrThrow()
        if (wanted < Number(before.next_version))
          throw new SluiceError(
            'CONFLICT',
            `${input.name}@${wanted} cannot be registered: versions up to ${Number(before.next_version) - 1} are taken; a copy keeps a number above them`,
          )
      }
      const model = await trx
        .updateTable('models')
        .set((eb) => ({
          next_version: wanted === null ? eb('next_version', '+', 1) : wanted + 1,
          updated_at: input.created_at,
        }))
        .where('name', '=', input.name)
        .returning(['id', 'next_version'])
        .executeTakeFirstOrThrow()
      const version = Number(model.next_version) - 1

      if (input.parent_version !== null) {
        const parent = await trx
          .selectFrom('model_versions')
          .select('id')
          .where('model_id', '=', model.id)
          .where('version', '=', input.parent_version)
          .executeTakeFirst()
        if (!parent) {
          throw new SluiceError(
            'NOT_FOUND',
            `parent version ${input.name}@${input.parent_version} not found; name an existing version of ${input.name}`,
          )
        }
      }
      const datasetIds: { id: number; role: string }[] = []
      for (const ds of input.datasets) {
        const row = await trx
          .selectFrom('dataset_versions as dv')
          .innerJoin('datasets as d', 'd.id', 'dv.dataset_id')
          .select('dv.id')
          .where('d.name', '=', ds.name)
          .where('dv.version', '=', ds.version)
          .executeTakeFirst()
        if (!row) {
          throw new SluiceError(
            'NOT_FOUND',
            `dataset ${ds.name}@${ds.version} not found; add it with \`sluice data add FILE --name ${ds.name}\` or list versions with \`sluice data show ${ds.name}\``,
          )
        }
        if (!datasetIds.some((d) => d.id === row.id && d.role === ds.role))
          datasetIds.push({ id: row.id, role: ds.role })
      }

      const { id } = await trx
        .insertInto('model_versions')
        .values({
          model_id: model.id,
          version,
          status: 'candidate',
          status_reason: null,
          artifact_digest: input.artifact.digest,
          artifact_size: input.artifact.size,
          artifact_kind: input.artifact.kind,
          flavor: input.flavor,
          signature: input.signature ? JSON.stringify(input.signature) : null,
          params: JSON.stringify(input.params),
          description: input.description,
          run_id: input.run_id,
          code_commit: input.code?.commit ?? null,
          code_dirty: input.code ? Number(input.code.dirty) : null,
          environment: input.environment ? JSON.stringify(input.environment) : null,
          parent_version: input.parent_version,
          created_at: input.created_at,
          updated_at: input.created_at,
        })
        .returning('id')
        .executeTakeFirstOrThrow()

      const metrics = Object.entries(input.metrics).map(([key, value]) => ({ version_id: id, key, value }))
      if (metrics.length) await trx.insertInto('version_metrics').values(metrics).execute()
      const tags = Object.entries(input.tags).map(([key, value]) => ({ version_id: id, key, value }))
      if (tags.length) await trx.insertInto('version_tags').values(tags).execute()
      if (datasetIds.length) {
        await trx
          .insertInto('version_datasets')
          .values(datasetIds.map((d) => ({ version_id: id, dataset_version_id: d.id, role: d.role })))
          .execute()
      }
      await trx
        .insertInto('blob_refs')
        .values({ digest: input.artifact.digest, kind: input.artifact.kind, owner: `model-version:${id}` })
        .execute()
      const [record] = await loadVersions(trx, [{ id }])
      return record!
    })
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersionRecord | null> {
    const rows = await versionQuery(this.db)
      .where('m.name', '=', name)
      .where('mv.version', '=', version)
      .execute()
    const [record] = await loadVersions(this.db, rows)
    return record ?? null
  }

  async resolveAlias(name: string, alias: string): Promise<number | null> {
    const row = await this.db
      .selectFrom('model_aliases as a')
      .innerJoin('models as m', 'm.id', 'a.model_id')
      .innerJoin('model_versions as mv', 'mv.id', 'a.version_id')
      .select('mv.version')
      .where('m.name', '=', name)
      .where('a.alias', '=', alias)
      .executeTakeFirst()
    return row ? Number(row.version) : null
  }

  async latestVersion(name: string): Promise<number | null> {
    const row = await this.db
      .selectFrom('model_versions as mv')
      .innerJoin('models as m', 'm.id', 'mv.model_id')
      .select('mv.version')
      .where('m.name', '=', name)
      .where('mv.status', 'not in', ['archived', 'rejected'])
      .orderBy('mv.version', 'desc')
      .limit(1)
      .executeTakeFirst()
    return row ? Number(row.version) : null
  }

  async modelExists(name: string): Promise<boolean> {
    const row = await this.db.selectFrom('models').select('id').where('name', '=', name).executeTakeFirst()
    return row !== undefined
  }

  async setAlias(
    name: string,
    alias: string,
    version: number,
    options: { force?: boolean } = {},
  ): Promise<{ previous: number | null }> {
    return this.tx(async (trx) => {
      const target = await versionRow(trx, name, version)
      if (target.status === 'rejected' && !options.force)
        throw new SluiceError(
          'CONFLICT',
          rejectedRefusal(`${name}@${version}`, target.status_reason, `give it the alias ${alias}`),
        )
      const previous = await trx
        .selectFrom('model_aliases as a')
        .innerJoin('model_versions as mv', 'mv.id', 'a.version_id')
        .select('mv.version')
        .where('a.model_id', '=', target.model_id)
        .where('a.alias', '=', alias)
        .executeTakeFirst()
      const now = new Date().toISOString()
      await trx
        .insertInto('model_aliases')
        .values({ model_id: target.model_id, alias, version_id: target.id, updated_at: now })
        .onConflict((oc) =>
          oc.columns(['model_id', 'alias']).doUpdateSet({ version_id: target.id, updated_at: now }),
        )
        .execute()
      return { previous: previous ? Number(previous.version) : null }
    })
  }

  async deleteAlias(name: string, alias: string): Promise<number | null> {
    return this.tx(async (trx) => {
      const row = await trx
        .selectFrom('model_aliases as a')
        .innerJoin('models as m', 'm.id', 'a.model_id')
        .innerJoin('model_versions as mv', 'mv.id', 'a.version_id')
        .select(['a.model_id', 'mv.version'])
        .where('m.name', '=', name)
        .where('a.alias', '=', alias)
        .executeTakeFirst()
      if (!row) return null
      await trx
        .deleteFrom('model_aliases')
        .where('model_id', '=', row.model_id)
        .where('alias', '=', alias)
        .execute()
      return Number(row.version)
    })
  }

  async setTags(name: string, version: number, set: Record<string, string>, remove: string[]): Promise<void> {
    await this.tx(async (trx) => {
      const target = await versionRow(trx, name, version)
      if (remove.length) {
        await trx
          .deleteFrom('version_tags')
          .where('version_id', '=', target.id)
          .where('key', 'in', remove)
          .execute()
      }
      for (const [key, value] of Object.entries(set)) {
        await trx
          .insertInto('version_tags')
          .values({ version_id: target.id, key, value })
          .onConflict((oc) => oc.columns(['version_id', 'key']).doUpdateSet({ value }))
          .execute()
      }
      await trx
        .updateTable('model_versions')
        .set({ updated_at: new Date().toISOString() })
        .where('id', '=', target.id)
        .execute()
    })
  }

  async setStatus(name: string, version: number, status: ModelStatus, reason: string | null): Promise<void> {
    await this.tx(async (trx) => {
      const target = await versionRow(trx, name, version)
      if (status === 'archived' || status === 'rejected') {
        await refuseWhileServed(trx, name, version, status)
        await refuseWithAliases(trx, target, name, version, status)
      }
      await trx
        .updateTable('model_versions')
        .set({ status, status_reason: reason, updated_at: new Date().toISOString() })
        .where('id', '=', target.id)
        .execute()
    })
  }

  async rejectVersions(rejection: Rejection, log?: DecisionLogEntry): Promise<AliasMove[]> {
    return this.tx(async (trx) => {
      const at = log?.at ?? new Date().toISOString()
      const moves = await rejectInTransaction(trx, rejection, at)
      if (log)
        await logDecisions(trx, log.rollout, log.deployment, [
          ...log.decisions,
          ...moves.map((m) => aliasMoveDecision(m, at)),
        ])
      return moves
    })
  }

  async searchModelVersions(filter: VersionFilter, page: PageRequest): Promise<Page<ModelVersionRecord>> {
    const before = page.after === undefined ? undefined : decodeCursor(page.after)
    const ids = await searchVersionIds(this.db, filter, page.limit + 1, before)
    const items = await loadVersions(
      this.db,
      ids.slice(0, page.limit).map((id) => ({ id })),
    )
    const last = ids[page.limit - 1]
    return { items, next: ids.length > page.limit && last !== undefined ? encodeCursor(last) : null }
  }

  async addDatasetVersion(
    input: NewDatasetVersion,
  ): Promise<{ record: DatasetVersionRecord; created: boolean }> {
    return this.tx(async (trx) => {
      await trx
        .insertInto('datasets')
        .values({ name: input.name, next_version: 1, created_at: input.created_at })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute()
      const dataset = await trx
        .selectFrom('datasets')
        .select(['id', 'next_version'])
        .where('name', '=', input.name)
        .executeTakeFirstOrThrow()
      const existing = await datasetVersionQuery(trx)
        .where('dv.dataset_id', '=', dataset.id)
        .where('dv.digest', '=', input.digest)
        .executeTakeFirst()
      if (existing) return { record: toDatasetRecord(existing), created: false }

      const version = Number(dataset.next_version)
      await trx
        .updateTable('datasets')
        .set({ next_version: version + 1 })
        .where('id', '=', dataset.id)
        .execute()
      const { id } = await trx
        .insertInto('dataset_versions')
        .values({
          dataset_id: dataset.id,
          version,
          digest: input.digest,
          size: input.size,
          format: input.format,
          rows: input.rows,
          columns: JSON.stringify(input.columns),
          source: input.source,
          created_at: input.created_at,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      await trx
        .insertInto('blob_refs')
        .values({ digest: input.digest, kind: 'file', owner: `dataset-version:${id}` })
        .execute()
      return { record: { ...input, version }, created: true }
    })
  }

  async getDatasetVersion(name: string, version: number | 'latest'): Promise<DatasetVersionRecord | null> {
    let q = datasetVersionQuery(this.db).where('d.name', '=', name)
    q = version === 'latest' ? q.orderBy('dv.version', 'desc').limit(1) : q.where('dv.version', '=', version)
    const row = await q.executeTakeFirst()
    return row ? toDatasetRecord(row) : null
  }

  async findDatasetVersion(name: string, digest: Digest): Promise<DatasetVersionRecord | null> {
    const row = await datasetVersionQuery(this.db)
      .where('d.name', '=', name)
      .where('dv.digest', '=', digest)
      .executeTakeFirst()
    return row ? toDatasetRecord(row) : null
  }

  async listDatasets(): Promise<DatasetSummary[]> {
    const datasets = await this.db.selectFrom('datasets').selectAll().orderBy('name').execute()
    const out: DatasetSummary[] = []
    for (const d of datasets) {
      const latest = await this.getDatasetVersion(d.name, 'latest')
      out.push({ name: d.name, versions: Number(d.next_version) - 1, latest, created_at: d.created_at })
    }
    return out
  }

  async listDatasetVersions(name: string): Promise<DatasetVersionRecord[]> {
    const rows = await datasetVersionQuery(this.db)
      .where('d.name', '=', name)
      .orderBy('dv.version', 'desc')
      .execute()
    return rows.map(toDatasetRecord)
  }

  async blobReferences(): Promise<{ digest: string; kind: ArtifactKind }[]> {
    const rows = await this.db.selectFrom('blob_refs').select(['digest', 'kind']).distinct().execute()
    return rows.map((r) => ({ digest: r.digest, kind: r.kind as ArtifactKind }))
  }

  async close(): Promise<void> {
    await this.db.destroy()
  }
}

/** Versions joined with their model: the query every version lookup and search starts from. */
function versionQuery(db: Db) {
  return db
    .selectFrom('model_versions as mv')
    .innerJoin('models as m', 'm.id', 'mv.model_id')
    .selectAll('mv')
    .select('m.name')
}

type VersionRow = Awaited<ReturnType<ReturnType<typeof versionQuery>['execute']>>[number]

/** An archived or rejected version holds no alias: refuses (CONFLICT) while it does. */
async function refuseWithAliases(
  trx: Transaction<Database>,
  target: { id: number },
  name: string,
  version: number,
  status: string,
): Promise<void> {
  const aliases = (
    await trx
      .selectFrom('model_aliases')
      .select('alias')
      .where('version_id', '=', target.id)
      .orderBy('alias')
      .execute()
  ).map((a) => a.alias)
  if (aliases.length)
    throw new SluiceError(
      'CONFLICT',
      `${name}@${version} holds alias ${aliases.join(', ')}, and ${status === 'archived' ? 'an archived' : 'a rejected'} version holds none; move or remove the alias first (\`sluice models unalias ${name} ${aliases[0]}\`)`,
    )
}

/**
 * An archived version leaves `latest` and search defaults, and a rejected one must not be served
 * (a rollout would even promote its rejected canary, marking it production): neither may be what
 * answers requests. Refuses (CONFLICT) while a deployment serves it or a running rollout routes to
 * it. A rollback rejects what it takes traffic from in one step (rejectVersions).
 */
async function refuseWhileServed(
  trx: Transaction<Database>,
  name: string,
  version: number,
  status: 'archived' | 'rejected',
): Promise<void> {
  const users: string[] = []
  let first = ''
  for (const d of await trx
    .selectFrom('deployments')
    .select(['name', 'model', 'version', 'routing'])
    .execute()) {
    const arm = d.routing
      ? (JSON.parse(d.routing) as Routing).arms.find((a) => a.model === name && a.version === version)
      : undefined
    if (d.model === name && Number(d.version) === version) users.push(`"${d.name}" (its stable version)`)
    else if (arm) users.push(`"${d.name}" (the ${arm.role} of its rollout)`)
    else continue
    first ||= d.name
  }
  if (users.length === 0) return
  throw new SluiceError(
    'CONFLICT',
    status === 'archived'
      ? `${name}@${version} answers deployment ${users.join(', ')}; deploy another version there (or end the rollout) before archiving it`
      : `${name}@${version} answers deployment ${users.join(', ')}, and a rejected version answers none; take its traffic away first (\`sluice rollback ${first}\` ends a rollout and rejects its candidates, or rejects the version a deployment serves and goes back to the one before)`,
  )
}

async function versionRow(
  db: Db,
  name: string,
  version: number,
): Promise<{ id: number; model_id: number; status: string; status_reason: string | null }> {
  const row = await db
    .selectFrom('model_versions as mv')
    .innerJoin('models as m', 'm.id', 'mv.model_id')
    .select(['mv.id', 'mv.model_id', 'mv.status', 'mv.status_reason'])
    .where('m.name', '=', name)
    .where('mv.version', '=', version)
    .executeTakeFirst()
  if (!row) {
    throw new SluiceError(
      'NOT_FOUND',
      `model version ${name}@${version} not found; list versions with \`sluice models list --name ${name}\``,
    )
  }
  return row
}

/** Completes version rows (or bare ids) with their metrics, tags, aliases and datasets, in four queries. */
async function loadVersions(
  db: Db,
  rowsOrIds: (VersionRow | { id: number })[],
): Promise<ModelVersionRecord[]> {
  if (rowsOrIds.length === 0) return []
  const ids = rowsOrIds.map((r) => r.id)
  const rows: VersionRow[] =
    'name' in rowsOrIds[0]!
      ? (rowsOrIds as VersionRow[])
      : await versionQuery(db).where('mv.id', 'in', ids).execute()
  const [metrics, tags, aliases, datasets] = await Promise.all([
    db.selectFrom('version_metrics').selectAll().where('version_id', 'in', ids).orderBy('key').execute(),
    db.selectFrom('version_tags').selectAll().where('version_id', 'in', ids).orderBy('key').execute(),
    db
      .selectFrom('model_aliases')
      .select(['version_id', 'alias'])
      .where('version_id', 'in', ids)
      .orderBy('alias')
      .execute(),
    db
      .selectFrom('version_datasets as vd')
      .innerJoin('dataset_versions as dv', 'dv.id', 'vd.dataset_version_id')
      .innerJoin('datasets as d', 'd.id', 'dv.dataset_id')
      .select(['vd.version_id', 'vd.role', 'd.name', 'dv.version', 'dv.digest'])
      .where('vd.version_id', 'in', ids)
      .orderBy('d.name')
      .execute(),
  ])
  const byId = new Map(rows.map((r) => [Number(r.id), r]))
  return ids.map((id) => {
    const r = byId.get(Number(id))!
    const mine = <T extends { version_id: number }>(xs: T[]) =>
      xs.filter((x) => Number(x.version_id) === Number(id))
    return {
      name: r.name,
      version: Number(r.version),
      status: r.status as ModelStatus,
      status_reason: r.status_reason,
      aliases: mine(aliases).map((a) => a.alias),
      artifact: {
        digest: r.artifact_digest as Digest,
        size: Number(r.artifact_size),
        kind: r.artifact_kind as 'file' | 'dir',
      },
      flavor: r.flavor,
      signature: r.signature ? (JSON.parse(r.signature) as Signature) : null,
      metrics: Object.fromEntries(mine(metrics).map((m) => [m.key, Number(m.value)])),
      params: JSON.parse(r.params) as ModelVersionRecord['params'],
      tags: Object.fromEntries(mine(tags).map((t) => [t.key, t.value])),
      description: r.description,
      lineage: {
        datasets: mine(datasets).map((d) => ({
          name: d.name,
          version: Number(d.version),
          digest: d.digest as Digest,
          role: d.role as 'train' | 'eval',
        })),
        run_id: r.run_id,
        code: r.code_commit === null ? null : { commit: r.code_commit, dirty: Boolean(r.code_dirty) },
        environment: r.environment ? JSON.parse(r.environment) : null,
        parent_version: r.parent_version === null ? null : Number(r.parent_version),
      },
      created_at: r.created_at,
      updated_at: r.updated_at,
    }
  })
}

function datasetVersionQuery(db: Db) {
  return db
    .selectFrom('dataset_versions as dv')
    .innerJoin('datasets as d', 'd.id', 'dv.dataset_id')
    .selectAll('dv')
    .select('d.name')
}

type DatasetRow = Awaited<ReturnType<ReturnType<typeof datasetVersionQuery>['execute']>>[number]

function toDatasetRecord(r: DatasetRow): DatasetVersionRecord {
  return {
    name: r.name,
    version: Number(r.version),
    digest: r.digest as Digest,
    size: Number(r.size),
    format: r.format as DatasetFormat,
    rows: Number(r.rows),
    columns: JSON.parse(r.columns) as ColumnSchema[],
    source: r.source,
    created_at: r.created_at,
  }
}

const encodeCursor = (id: number) => Buffer.from(`mv:${id}`).toString('base64url')

function decodeCursor(cursor: string): number {
  const m = /^mv:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString())
  if (!m)
    throw new SluiceError(
      'INVALID_INPUT',
      `page token "${cursor}" is not valid; pass the "next" value of a previous page`,
    )
  return Number(m[1])
}
