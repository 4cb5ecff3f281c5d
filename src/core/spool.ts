import { randomBytes } from 'node:crypto'
import { readdirSync, statSync, unlinkSync } from 'node:fs'
import path from 'node:path'
import { abandonedReason, writerTag } from './writer.js'

/**
 * Request bodies the server spools to disk (`<home>/tmp/upload-<host>.<pid>.<random><ext>`),
 * removed when the request ends; a crash leaves them behind, and the name says whose they were.
 */

const SPOOL_RE = /^upload-(?:(.+)\.)?[0-9a-f]{16}(?:\.[^.]*)?$/

/** A fresh spool file name in `dir` for a body that came with this extension (`.csv`, or ''). */
export function spoolPath(dir: string, extension: string): string {
  return path.join(dir, `upload-${writerTag()}.${randomBytes(8).toString('hex')}${extension}`)
}

export interface SpoolLeftover {
  name: string
  size: number
  reason: string
}

/**
 * Spool files in `dir` whose writer is gone (or, from another host or without a writer in the
 * name, untouched for a day); removed when `apply`. Files of a live process are never touched.
 */
export function sweepSpool(dir: string, apply: boolean): SpoolLeftover[] {
  const out: SpoolLeftover[] = []
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return out // no spool folder yet
  }
  for (const name of names.sort()) {
    const m = SPOOL_RE.exec(name)
    if (!m) continue
    const file = path.join(dir, name)
    let s: ReturnType<typeof statSync>
    try {
      s = statSync(file)
    } catch {
      continue // removed meanwhile by its request
    }
    if (!s.isFile()) continue
    const reason = abandonedReason(m[1] ?? null, s.mtimeMs)
    if (!reason) continue
    out.push({ name, size: s.size, reason })
    if (apply) {
      try {
        unlinkSync(file)
      } catch {
        // gone already
      }
    }
  }
  return out
}
