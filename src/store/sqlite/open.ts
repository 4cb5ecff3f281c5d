import { mkdirSync } from 'node:fs'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely } from 'kysely'
import { diskFull, diskIsFull } from '../../core/disk-full.js'
import { SluiceError } from '../../core/errors.js'
import { KyselyStore } from '../kysely-store.js'
import type { Database } from '../schema.js'
import type { Store } from '../types.js'
import { ImmediateSqliteDialect } from './dialect.js'

const BUSY_TIMEOUT_MS = 10_000

/**
 * Opens (creating if needed) the SQLite store. WAL lets readers run beside one writer; writers in
 * other processes wait up to BUSY_TIMEOUT_MS for the lock, and the store retries beyond that.
 */
export async function openSqliteStore(file: string): Promise<Store> {
  mkdirSync(path.dirname(file), { recursive: true })
  let sqlite: BetterSqlite3.Database
  try {
    sqlite = new BetterSqlite3(file, { timeout: BUSY_TIMEOUT_MS })
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = FULL')
    sqlite.pragma('foreign_keys = ON')
  } catch (e) {
    // With no byte free, SQLite cannot even size its shared-memory file, and says "disk I/O error".
    if (diskIsFull(path.dirname(file))) throw diskFull(where(file), e)
    throw new SluiceError(
      'UNREADABLE_FILE',
      `cannot open the metadata store ${file}: ${(e as Error).message}; check the path and its permissions, or point --home elsewhere`,
      { cause: e },
    )
  }
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) })
  return KyselyStore.open(db, {
    name: 'sqlite',
    isRetryable: (e) => /^SQLITE_(BUSY|LOCKED)/.test(String((e as { code?: unknown }).code ?? '')),
    explain: (e) => {
      const code = String((e as { code?: unknown }).code ?? '')
      if (code === 'SQLITE_FULL' || (code.startsWith('SQLITE_IOERR') && diskIsFull(path.dirname(file))))
        return diskFull(where(file), e)
      return e
    },
  })
}

const where = (file: string) => `the metadata store ${file}`
