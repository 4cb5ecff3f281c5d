import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { SluiceError } from './errors.js'

/** A content digest as written everywhere in sluice: `sha256:` followed by 64 lowercase hex digits. */
export type Digest = `sha256:${string}`

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s)
}

/** Validates a digest given by a user or a client; the only shape that ever reaches a file path. */
export function parseDigest(s: string): Digest {
  if (!isDigest(s)) {
    throw new SluiceError(
      'INVALID_REFERENCE',
      `"${s.slice(0, 100)}" is not a digest; expected "sha256:" followed by 64 lowercase hex digits`,
    )
  }
  return s
}

export const digestOf = (hex: string): Digest => `sha256:${hex}`

export function sha256Bytes(data: Uint8Array | string): Digest {
  return digestOf(createHash('sha256').update(data).digest('hex'))
}

/** Streams a file through SHA-256 (constant memory). */
export async function sha256File(file: string): Promise<{ digest: Digest; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { digest: digestOf(hash.digest('hex')), size }
}
