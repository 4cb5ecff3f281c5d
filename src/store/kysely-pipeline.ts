import type { Kysely, Transaction } from 'kysely'
import type { Digest } from '../core/hash.js'
import type { ArtifactRef } from '../core/types.js'
import type { Database } from './schema.js'
import type { FileHashRecord, PipelineStore, RunRecord, StageCacheRecord, StageRecord } from './types.js'

type Tx = <T>(fn: (trx: Transaction<Database>) => Promise<T>) => Promise<T>

/** SQLite caps bound parameters per statement; lookups by path go in chunks below it. */
const CHUNK = 500

/** The pipeline part of the store, in the same portable Kysely queries as the rest. */
export class KyselyPipelineStore implements PipelineStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly tx: Tx,
  ) {}

  async fileHashes(paths: string[]): Promise<Map<string, FileHashRecord>> {
    const out = new Map<string, FileHashRecord>()
    for (let i = 0; i < paths.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom('file_hashes')
        .selectAll()
        .where('path', 'in', paths.slice(i, i + CHUNK))
        .execute()
      for (const r of rows) out.set(r.path, { ...r, size: Number(r.size), digest: r.digest as Digest })
    }
    return out
  }

  async saveFileHashes(records: FileHashRecord[]): Promise<void> {
    if (records.length === 0) return
    await this.tx(async (trx) => {
      for (let i = 0; i < records.length; i += CHUNK / 5) {
        await trx
          .insertInto('file_hashes')
          .values(records.slice(i, i + CHUNK / 5))
          .onConflict((oc) =>
            oc.column('path').doUpdateSet((eb) => ({
              size: eb.ref('excluded.size'),
              mtime_ns: eb.ref('excluded.mtime_ns'),
              inode: eb.ref('excluded.inode'),
              digest: eb.ref('excluded.digest'),
            })),
          )
          .execute()
      }
    })
  }

  async stageCache(key: string): Promise<StageCacheRecord | null> {
    const r = await this.db.selectFrom('stage_cache').selectAll().where('key', '=', key).executeTakeFirst()
    if (!r) return null
    return {
      ...r,
      outs: JSON.parse(r.outs) as Record<string, ArtifactRef>,
      metrics: JSON.parse(r.metrics) as Record<string, unknown>,
      log: r.log as Digest | null,
    }
  }

  async saveStageCache(record: StageCacheRecord): Promise<void> {
    const owner = `stage-cache:${record.key}`
    await this.tx(async (trx) => {
      await trx
        .insertInto('stage_cache')
        .values({ ...record, outs: JSON.stringify(record.outs), metrics: JSON.stringify(record.metrics) })
        // A forced re-run replaces the entry: its outs are the ones now stored (and referenced below).
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => ({
            outs: eb.ref('excluded.outs'),
            metrics: eb.ref('excluded.metrics'),
            log: eb.ref('excluded.log'),
            run_id: eb.ref('excluded.run_id'),
            created_at: eb.ref('excluded.created_at'),
          })),
        )
        .execute()
      await trx.deleteFrom('blob_refs').where('owner', '=', owner).execute()
      const refs = blobRefs(Object.values(record.outs), record.log, owner)
      if (refs.length) await trx.insertInto('blob_refs').values(refs).execute()
    })
  }

  async saveRun(run: RunRecord): Promise<void> {
    const owner = `run:${run.id}`
    await this.tx(async (trx) => {
      const row = { id: run.id, status: run.status, started_at: run.started_at, record: JSON.stringify(run) }
      await trx
        .insertInto('runs')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet({ status: row.status, record: row.record }))
        .execute()
      await trx.deleteFrom('run_stages').where('run_id', '=', run.id).execute()
      if (run.stages.length) {
        await trx
          .insertInto('run_stages')
          .values(
            run.stages.map((s) => ({
              run_id: run.id,
              name: s.name,
              status: s.status,
              record: JSON.stringify(s),
            })),
          )
          .execute()
      }
      await trx.deleteFrom('blob_refs').where('owner', '=', owner).execute()
      // Pinned deps (the inputs `sluice reproduce` restores) and logs stay referenced as long as the run record exists.
      const refs = run.stages.flatMap((s) => blobRefs(Object.values(s.deps), s.log, owner))
      const unique = [...new Map(refs.map((r) => [r.digest, r])).values()]
      if (unique.length) await trx.insertInto('blob_refs').values(unique).execute()
    })
  }

  async getRun(id: string): Promise<RunRecord | null> {
    const r = await this.db.selectFrom('runs').select('record').where('id', '=', id).executeTakeFirst()
    return r ? (JSON.parse(r.record) as RunRecord) : null
  }

  async listRuns(limit: number, before?: string): Promise<RunRecord[]> {
    let q = this.db.selectFrom('runs').select('record').orderBy('id', 'desc').limit(limit)
    if (before) q = q.where('id', '<', before)
    return (await q.execute()).map((r) => JSON.parse(r.record) as RunRecord)
  }

  async runningRuns(): Promise<RunRecord[]> {
    const rows = await this.db.selectFrom('runs').select('record').where('status', '=', 'running').execute()
    return rows.map((r) => JSON.parse(r.record) as RunRecord)
  }

  async lastCompletedStage(name: string): Promise<{ run_id: string; stage: StageRecord } | null> {
    const r = await this.db
      .selectFrom('run_stages')
      .select(['run_id', 'record'])
      .where('name', '=', name)
      .where('status', 'in', ['ran', 'cached'])
      .orderBy('run_id', 'desc')
      .limit(1)
      .executeTakeFirst()
    return r ? { run_id: r.run_id, stage: JSON.parse(r.record) as StageRecord } : null
  }
}

function blobRefs(outs: ArtifactRef[], log: Digest | null, owner: string) {
  const refs = outs.map((o) => ({ digest: o.digest as string, kind: o.kind as string, owner }))
  if (log) refs.push({ digest: log, kind: 'file', owner })
  return [...new Map(refs.map((r) => [r.digest, r])).values()]
}
