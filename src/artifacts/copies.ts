import { randomBytes } from 'node:crypto'
import { readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { isSluiceError } from '../core/errors.js'
import { type Digest, digestOf } from '../core/hash.js'
import { digestOfPath } from './local-digest.js'
import { getToPath } from './transfer.js'
import type { BlobSource, CopyProblem } from './types.js'

/**
 * Folders of restored copies, one per artifact, named by its digest (`sha256-<hex>`): the model
 * server's `<home>/serving`. A copy is intact when its bytes still hash to the name.
 */

const COPY_RE = /^sha256-([0-9a-f]{64})$/

/** The name of an artifact's copy in such a folder. */
export function copyName(digest: Digest): string {
  return digest.replace(':', '-')
}

/** Moves a damaged copy out of the way at once (a rename: no reader sees half of it), then deletes it. */
export async function setAside(dest: string): Promise<void> {
  const aside = `${dest}.corrupt-${randomBytes(6).toString('hex')}`
  await rename(dest, aside).catch(() => {}) // another process set it aside first
  await rm(aside, { recursive: true, force: true })
}

/**
 * Re-hashes every copy in `dir` and lists those that no longer match their name. With `repair`,
 * each damaged copy is replaced by a fresh one from `source` (which verifies every blob); when
 * the stored blob is damaged too, the copy is removed and the problem says so.
 */
export async function verifyCopies(
  dir: string,
  source: BlobSource,
  repair: boolean,
): Promise<{ checked: number; corrupt: CopyProblem[] }> {
  const report = { checked: 0, corrupt: [] as CopyProblem[] }
  for (const name of (await readdir(dir).catch(() => [])).sort()) {
    const m = COPY_RE.exec(name)
    if (!m) continue
    const file = path.join(dir, name)
    const s = await stat(file).catch(() => null)
    if (!s) continue // removed meanwhile
    const kind = s.isDirectory() ? 'dir' : 'file'
    const digest = digestOf(m[1]!)
    report.checked++
    const found = await digestOfPath(file, kind).catch((e: Error) => `unreadable (${e.message})`)
    if (found === digest) continue
    const problem: CopyProblem = {
      path: file,
      digest,
      reason: `its bytes hash to ${found}`,
      repaired: false,
    }
    if (repair) {
      await setAside(file)
      try {
        await getToPath(source, { digest, kind }, file)
        problem.repaired = true
      } catch (e) {
        // Another process (a server loading it) copied it again first: the copy is fresh.
        if (isSluiceError(e, 'CONFLICT')) problem.repaired = true
        else problem.reason += `; it was removed, and could not be copied again: ${(e as Error).message}`
      }
    }
    report.corrupt.push(problem)
  }
  return report
}
