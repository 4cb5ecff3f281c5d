import { statfsSync } from 'node:fs'
import { SluiceError } from './errors.js'

/** The error for a write the disk had no room for; `where` names what was being written. */
export function diskFull(where: string, cause?: unknown, quota = false): SluiceError {
  return new SluiceError(
    'DISK_FULL',
    `the disk holding ${where} is full${quota ? ' (your quota on it is used up)' : ''}; free space on it and try again`,
    { cause },
  )
}

/**
 * A write that failed because the disk is full (ENOSPC, SQLite's SQLITE_FULL) or the user's quota
 * on it is used up (EDQUOT), as DISK_FULL; anything else is returned as it was. `where` names
 * what was being written, e.g. "the artifact store /x/artifacts"; without it, the error's own
 * path (if any) is named.
 */
export function diskError(e: unknown, where?: string): unknown {
  const { code, path } = (e ?? {}) as { code?: unknown; path?: unknown }
  if (code !== 'ENOSPC' && code !== 'EDQUOT' && code !== 'SQLITE_FULL') return e
  return diskFull(where ?? (typeof path === 'string' ? path : "sluice's files"), e, code === 'EDQUOT')
}

/** Whether the file system holding `dir` has no space left for this user (0 bytes available). */
export function diskIsFull(dir: string): boolean {
  try {
    return statfsSync(dir).bavail === 0
  } catch {
    return false
  }
}
