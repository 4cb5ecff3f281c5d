import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { SluiceError } from './errors.js'
import { checkRegular } from './regular.js'

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

/**
 * Reads a file through SHA-256 in constant memory. Two buffers alternate, so the next read is in
 * flight while the previous chunk is hashed (reads run on libuv's pool, hashing on this thread).
 * Only a regular file is read (a device never ends; opening a FIFO blocks).
 */
export async function sha256File(file: string): Promise<{ digest: Digest; size: number }> {
  await checkRegular(file, 'file')
  const hash = createHash('sha256')
  const handle = await open(file, 'r')
  try {
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)]
    let size = 0
    let i = 0
    let pending = handle.read(buffers[0]!, 0, CHUNK, null)
    for (;;) {
      const { bytesRead } = await pending
      if (bytesRead === 0) break
      const current = buffers[i]!
      i ^= 1
      pending = handle.read(buffers[i]!, 0, CHUNK, null)
      hash.update(current.subarray(0, bytesRead))
      size += bytesRead
    }
    return { digest: digestOf(hash.digest('hex')), size }
  } finally {
    await handle.close()
  }
}

const CHUNK = 4 << 20
