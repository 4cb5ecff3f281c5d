import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely, sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { ImmediateSqliteDialect } from './dialect.js'

describe('ImmediateSqliteDialect', () => {
  it('lets the error that ended a transaction through when SQLite has already rolled it back', async () => {
    // SQLITE_FULL for real, without filling a disk: max_page_count caps the database file. A
    // statement that runs out of pages makes SQLite roll the whole transaction back itself.
    const sqlite = new BetterSqlite3(
      path.join(mkdtempSync(path.join(os.tmpdir(), 'sluice-full-')), 'full.db'),
    )
    sqlite.pragma('journal_mode = WAL')
    const db = new Kysely<{ t: { x: string } }>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) })
    await sql`create table t (x text)`.execute(db)
    sqlite.pragma(`max_page_count = ${sqlite.pragma('page_count', { simple: true })}`)
    const failure = db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('t').values({ x: 'a' }).execute()
        await trx
          .insertInto('t')
          .values({ x: 'x'.repeat(1 << 20) })
          .execute()
      })
      .catch((e: unknown) => e)
    // Not "cannot rollback - no transaction is active" from the ROLLBACK that followed.
    expect(await failure).toMatchObject({ code: 'SQLITE_FULL', message: 'database or disk is full' })
    expect(sqlite.inTransaction).toBe(false)
    expect(await db.selectFrom('t').selectAll().execute()).toEqual([])
    await db.destroy()
  })
})
