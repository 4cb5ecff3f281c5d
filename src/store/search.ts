import { type Kysely, type SelectQueryBuilder, sql, type Transaction } from 'kysely'
import type { Database } from './schema.js'
import type { VersionFilter } from './types.js'

type Db = Kysely<Database> | Transaction<Database>

/** The ids of matching versions, joined with their model so conditions can read its name. */
function idQuery(db: Db) {
  return db.selectFrom('model_versions as mv').innerJoin('models as m', 'm.id', 'mv.model_id').select('mv.id')
}

type VersionQuery = ReturnType<typeof idQuery>

/** Counting stops here: a condition matching more versions than this never drives a search. */
export const PROBE_CAP = 50_000

/**
 * One search condition, in two forms: `drive` lets the database start from the matching ids
 * (cheap when few versions match), `filter` checks it row by row while versions are scanned
 * newest first (cheap when many match, because the first page fills quickly).
 */
interface Condition {
  /** Ids of the versions that satisfy the condition (for a capped count). */
  ids(db: Db): SelectQueryBuilder<Database, keyof Database, { version_id: number }>
  /** Adds the condition to the query, as the driving constraint or as a filter. */
  apply(q: VersionQuery, drive: boolean): VersionQuery
}

/**
 * Ids of the versions matching the filter, newest first, at most `limit`, below `before` (paging).
 * Chooses, from capped counts, whether one selective condition should drive the search or every
 * condition should filter a newest-first scan. Either way the result is the same; only the cost
 * differs (see docs/architecture.md, "Searching a million versions"). Only ids are sorted: the
 * rows of the page are read afterwards.
 */
export async function searchVersionIds(
  db: Db,
  filter: VersionFilter,
  limit: number,
  before?: number,
): Promise<number[]> {
  let query = idQuery(db)
  if (before !== undefined) query = query.where('mv.id', '<', before)
  if (filter.statuses?.length) query = query.where('mv.status', 'in', filter.statuses)
  const conditions = conditionsOf(filter)
  const finish = async (q: VersionQuery) =>
    (await q.orderBy('mv.id', 'desc').limit(limit).execute()).map((r) => Number(r.id))
  if (conditions.length === 0) return finish(query)

  const counts = await Promise.all(conditions.map((c) => cappedCount(db, c)))
  const total = Math.max(1, await maxVersionId(db))
  // Rows a newest-first scan reads to fill a page, if the conditions are independent.
  const selectivity = counts.reduce((s, n) => (s * Math.max(n, 1)) / total, 1)
  const scanRows = Math.min(total, limit / selectivity)
  let best = 0
  for (let i = 1; i < counts.length; i++) if (counts[i]! < counts[best]!) best = i
  const drive = counts[best]! < PROBE_CAP && counts[best]! < scanRows ? best : -1
  conditions.forEach((c, i) => {
    query = c.apply(query, i === drive)
  })
  return finish(query)
}

function conditionsOf(filter: VersionFilter): Condition[] {
  const out: Condition[] = []
  if (filter.name !== undefined || filter.namePrefix !== undefined) {
    const name = filter.name
    // Names are ASCII below '~', so [prefix, prefix + '~') holds exactly the names starting with prefix.
    const [from, to] =
      name !== undefined ? [name, `${name}\0`] : [filter.namePrefix!, `${filter.namePrefix}~`]
    const models = (db: Db) =>
      db.selectFrom('models').select('id').where('name', '>=', from).where('name', '<', to)
    out.push({
      ids: (db) =>
        db.selectFrom('model_versions').select('id as version_id').where('model_id', 'in', models(db)),
      apply: (q, drive) =>
        drive
          ? q.where('mv.model_id', 'in', (eb) =>
              eb.selectFrom('models').select('id').where('name', '>=', from).where('name', '<', to),
            )
          : q.where('m.name', '>=', from).where('m.name', '<', to),
    })
  }
  if (filter.alias !== undefined) {
    const alias = filter.alias
    out.push({
      ids: (db) => db.selectFrom('model_aliases').select('version_id').where('alias', '=', alias),
      apply: (q, drive) =>
        drive
          ? q.where('mv.id', 'in', (eb) =>
              eb.selectFrom('model_aliases').select('version_id').where('alias', '=', alias),
            )
          : q.where((eb) =>
              eb.exists(
                eb
                  .selectFrom('model_aliases as a')
                  .select('a.version_id')
                  .whereRef('a.version_id', '=', 'mv.id')
                  .where('a.alias', '=', alias),
              ),
            ),
    })
  }
  for (const [key, value] of Object.entries(filter.tags ?? {})) {
    out.push({
      ids: (db) =>
        db.selectFrom('version_tags').select('version_id').where('key', '=', key).where('value', '=', value),
      apply: (q, drive) =>
        drive
          ? q.where('mv.id', 'in', (eb) =>
              eb
                .selectFrom('version_tags')
                .select('version_id')
                .where('key', '=', key)
                .where('value', '=', value),
            )
          : q.where((eb) =>
              eb.exists(
                eb
                  .selectFrom('version_tags as t')
                  .select('t.version_id')
                  .whereRef('t.version_id', '=', 'mv.id')
                  .where('t.key', '=', key)
                  .where('t.value', '=', value),
              ),
            ),
    })
  }
  for (const c of filter.metrics ?? []) {
    const op = c.op === '!=' ? '<>' : c.op
    out.push({
      ids: (db) =>
        db
          .selectFrom('version_metrics')
          .select('version_id')
          .where('key', '=', c.key)
          .where('value', op, c.value),
      apply: (q, drive) =>
        drive
          ? q.where('mv.id', 'in', (eb) =>
              eb
                .selectFrom('version_metrics')
                .select('version_id')
                .where('key', '=', c.key)
                .where('value', op, c.value),
            )
          : q.where((eb) =>
              eb.exists(
                eb
                  .selectFrom('version_metrics as x')
                  .select('x.version_id')
                  .whereRef('x.version_id', '=', 'mv.id')
                  .where('x.key', '=', c.key)
                  .where('x.value', op, c.value),
              ),
            ),
    })
  }
  return out
}

async function cappedCount(db: Db, c: Condition): Promise<number> {
  const row = await db
    .selectFrom(c.ids(db).limit(PROBE_CAP).as('matching'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

async function maxVersionId(db: Db): Promise<number> {
  const row = await db
    .selectFrom('model_versions')
    .select(sql<number | null>`max(id)`.as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n ?? 0)
}
