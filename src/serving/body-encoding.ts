import { createGunzip, createInflate } from 'node:zlib'

/** The request body encodings the model server decodes. */
export type BodyEncoding = 'gzip' | 'deflate'

/**
 * What a Content-Encoding header asks: null for a body as it is (`identity`), the encoding to
 * decode, or `unsupported` (answered 415). `deflate` is the zlib format (RFC 1950), as HTTP defines
 * it and as tritonclient sends it.
 */
export function encodingOf(header: string): BodyEncoding | null | 'unsupported' {
  const value = header.trim().toLowerCase()
  if (value === '' || value === 'identity') return null
  if (value === 'gzip' || value === 'x-gzip') return 'gzip'
  if (value === 'deflate') return 'deflate'
  return 'unsupported'
}

/** The 415 message for a Content-Encoding sluice does not decode. */
export const unsupportedEncoding = (header: string) =>
  `Content-Encoding ${JSON.stringify(header.slice(0, 40))} is not supported; send the body as it is, or compressed with gzip or deflate`

/** The decoded body, or why there is none: 413 (past the limit once decoded) or 400 (not valid data). */
export type Decoded = { body: Buffer } | { status: 400 | 413; message: string }

export interface BodyDecoder {
  write(chunk: Buffer): void
  end(): void
  /** Stops decoding (the request was refused for another reason); `done` is not called. */
  abort(): void
}

/**
 * Decodes a compressed request body as its chunks arrive. The decoded size is counted as it is
 * produced: past `maxBytes`, decoding stops and `done` gets a 413 at once, so a small body that
 * inflates to gigabytes (a zip bomb) costs no more than the limit. `done` is called once.
 */
export function bodyDecoder(
  encoding: BodyEncoding,
  maxBytes: number,
  done: (decoded: Decoded) => void,
): BodyDecoder {
  const inflate = encoding === 'gzip' ? createGunzip() : createInflate()
  const chunks: Buffer[] = []
  let size = 0
  let settled = false
  const settle = (decoded: Decoded) => {
    if (settled) return
    settled = true
    inflate.destroy()
    done(decoded)
  }
  inflate.on('data', (chunk: Buffer) => {
    if (settled) return
    size += chunk.length
    if (size > maxBytes)
      settle({
        status: 413,
        message: `request body is larger than ${maxBytes} bytes once decoded (Content-Encoding: ${encoding})`,
      })
    else chunks.push(chunk)
  })
  inflate.on('end', () => settle({ body: Buffer.concat(chunks, size) }))
  inflate.on('error', (e) =>
    settle({ status: 400, message: `the ${encoding} request body could not be decoded: ${e.message}` }),
  )
  return {
    write: (chunk) => {
      if (!settled) inflate.write(chunk)
    },
    end: () => {
      if (!settled) inflate.end()
    },
    abort: () => {
      settled = true
      inflate.destroy()
    },
  }
}

/** A whole compressed body decoded, with the same bound (for the framework's routes). */
export function decodeBody(encoding: BodyEncoding, body: Uint8Array, maxBytes: number): Promise<Decoded> {
  return new Promise((resolve) => {
    const decoder = bodyDecoder(encoding, maxBytes, resolve)
    decoder.write(Buffer.from(body.buffer, body.byteOffset, body.byteLength))
    decoder.end()
  })
}
