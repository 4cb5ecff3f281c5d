import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { diskError } from './disk-full.js'

/**
 * Writes a file so that `dest` is either untouched or complete: `write` fills a temp file beside
 * it, which is then fsynced and renamed over `dest` (and the folder fsynced). On any failure the
 * temp file is removed and `dest` is left as it was.
 */
export async function writeAtomically(
  dest: string,
  write: (tmpPath: string) => Promise<void> | void,
): Promise<void> {
  const dir = path.dirname(path.resolve(dest))
  await mkdir(dir, { recursive: true })
  const tmp = path.join(dir, `.${path.basename(dest)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await write(tmp)
    await fsync(tmp)
    await rename(tmp, dest)
    await fsync(dir)
  } catch (e) {
    await rm(tmp, { force: true })
    throw diskError(e, dest)
  }
}

/** fsync of a file or a folder (a folder's fsync makes a rename in it durable). */
export async function fsync(file: string): Promise<void> {
  const handle = await open(file, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
