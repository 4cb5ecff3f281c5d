import BetterSqlite3 from 'better-sqlite3'
import { SluiceError } from './errors.js'

export interface FileLock {
  release(): void
}

/**
 * Takes the kernel's exclusive lock on `file` (created if missing), or returns null at once when
 * another process holds it. Node has no flock(2); SQLite's file locking (POSIX fcntl locks on
 * Unix, LockFileEx on Windows) is the kernel lock at hand, and the kernel drops it when its
 * process ends however it ends — even kill -9 — so a lock is never left behind, and no two
 * processes can both decide to take over a dead one's. The file is an empty SQLite database,
 * locked by a transaction held open (SQLite keeps an empty `-journal` beside it meanwhile, and
 * clears one a dead holder left); the holder must not open the file any other way (closing
 * another descriptor of it would drop a POSIX lock).
 */
export function tryLockFile(file: string): FileLock | null {
  let db: BetterSqlite3.Database
  try {
    db = new BetterSqlite3(file, { timeout: 0 })
  } catch (e) {
    throw new SluiceError(
      'UNREADABLE_FILE',
      `cannot open the lock file ${file}: ${(e as Error).message}; check that the folder is writable`,
      { cause: e },
    )
  }
  try {
    db.exec('BEGIN EXCLUSIVE')
  } catch (e) {
    db.close()
    if ((e as { code?: string }).code === 'SQLITE_BUSY') return null
    throw new SluiceError(
      'UNREADABLE_FILE',
      `cannot lock ${file}: ${(e as Error).message}; remove it if it is not a sluice lock file`,
      { cause: e },
    )
  }
  return {
    release() {
      if (!db.open) return
      db.exec('ROLLBACK')
      db.close()
    },
  }
}
