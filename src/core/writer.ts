import os from 'node:os'

/**
 * Files written in steps (artifact temp files, spooled uploads) carry their writer's host and
 * pid in their name, so a later sweep can tell a leftover of a crashed writer from a file a live
 * process is still writing.
 */

/** A file from another host is only taken for abandoned after this long (its pid means nothing here). */
const FOREIGN_AGE_MS = 24 * 3600_000

/** `<host>.<pid>`: this process, as it appears in the names of the files it writes in steps. */
export function writerTag(): string {
  return `${os.hostname()}.${process.pid}`
}

/**
 * Why a file whose name carries `tag` (a `writerTag()`, or null when its name has none) is a
 * leftover of an interrupted write — or null while its writer may still be at work.
 */
export function abandonedReason(tag: string | null, mtimeMs: number, now = Date.now()): string | null {
  const m = tag === null ? null : /^(.*)\.(\d+)$/.exec(tag)
  if (m && m[1] === os.hostname() && !processAlive(Number(m[2]))) return `its writer (pid ${m[2]}) is gone`
  if (now - mtimeMs > FOREIGN_AGE_MS) return 'untouched for more than 24 hours'
  return null
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
