import { type Kysely, type SelectQueryBuilder, sql, type Transaction } from 'kysely'
import type { Database } from './schema.js'
import type { VersionFilter } from './types.js'

type Db = Kysely<Database> | Transaction<Database>

/** The ids of matching versions. */
function idQuery(db: Db) {
  return db.selectFrom('model_versions as mv').select('mv.id')
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

/** Rows of the newest-first walk tried before anything else: most searches fill a page within them. */
export const SAMPLE_ROWS = 2048
/** Reading a version through a driving condition costs about this many newest-first scan steps. */
const DRIVE_COST = 3

/**
 * Ids of the versions matching the filter, newest first, at most `limit`, below `before` (paging).
 * Each condition can run two ways: *filtering* a newest-first walk (cheap when many versions
 * match: the page fills quickly) or *driving* the search from the versions it matches through its
 * index (cheap when few do). The plan: walk the newest SAMPLE_ROWS; if that fills the page, done.
 * Otherwise the sample's hit rate says how far a full walk would go, capped counts say how many
 * versions each condition matches, and the cheaper of walking and driving from the most selective
 * condition runs. Either way the answer is the same; only the cost differs. Only ids are sorted:
 * the page's rows are read afterwards.
 */
export async function searchVersionIds(
  db: Db,
  filter: VersionFilter,
  limit: number,
  before?: number,
): Promise<number[]> {
  const conditions = conditionsOf(filter)
  const query = (drive: number, from?: number) => {
    let q = idQuery(db)
    if (before !== undefined) q = q.where('mv.id', '<', before)
    if (from !== undefined) q = q.where('mv.id', '>=', from)
    if (filter.statuses?.length) q = q.where('mv.status', 'in', filter.statuses)
    conditions.forEach((c, i) => {
      q = c.apply(q, i === drive)
    })
    return q.orderBy('mv.id', 'desc').limit(limit)
  }
  const ids = async (q: VersionQuery) => (await q.execute()).map((r) => Number(r.id))
  if (conditions.length === 0) return ids(query(-1))

  const upper = before ?? (await maxVersionId(db)) + 1
  const sampled = await ids(query(-1, upper - SAMPLE_ROWS))
  if (sampled.length >= limit || upper <= SAMPLE_ROWS) return sampled

  // Rows a full newest-first walk would read to fill the page, judged by the sample's hit rate.
  const walkRows = (limit * SAMPLE_ROWS) / Math.max(sampled.length, 0.5)
  const counts = await Promise.all(conditions.map((c) => cappedCount(db, c)))
  let best = 0
  for (let i = 1; i < counts.length; i++) if (counts[i]! < counts[best]!) best = i
  const drive = counts[best]! < PROBE_CAP && counts[best]! * DRIVE_COST < walkRows ? best : -1
  return ids(query(drive))
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
    // Matching models are few next to their versions: driving or filtering, their ids are read once.
    out.push({
      ids: (db) =>
        db.selectFrom('model_versions').select('id as version_id').where('model_id', 'in', models(db)),
      apply: (q) =>
        q.where('mv.model_id', 'in', (eb) =>
          eb.selectFrom('models').select('id').where('name', '>=', from).where('name', '<', to),
        ),
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
