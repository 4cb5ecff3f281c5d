import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createBrotliDecompress, createUnzip } from 'node:zlib'
import type { Context } from 'hono'
import { SluiceError } from '../core/errors.js'

/** The largest request bodies the REST API reads, in bytes after Content-Encoding is undone. */
export interface BodyLimits {
  /** JSON bodies (`server.max_json_mb`). */
  json: number
  /** Uploads: artifacts and datasets (`server.max_upload_gb`). */
  upload: number
  /**
   * How long a JSON body may take to arrive once its headers have (`server.body_timeout`): a
   * client that drips a small body byte by byte would hold its request open for hours. Uploads
   * have no such deadline (they may rightly take hours); their number is capped instead.
   */
  jsonTimeoutMs?: number
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { json: 2 ** 20, upload: 16 * 2 ** 30, jsonTimeoutMs: 60_000 }

declare module 'hono' {
  interface ContextVariableMap {
    bodyLimits: BodyLimits
  }
}

/** Content-Encodings the API undoes; `createUnzip` reads both gzip and zlib-wrapped deflate. */
const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createUnzip,
  'x-gzip': createUnzip,
  deflate: createUnzip,
  br: createBrotliDecompress,
}

const SETTING = { json: 'server.max_json_mb', upload: 'server.max_upload_gb' } as const

/**
 * The request body as its decoded bytes, refused with 413 as soon as they pass the limit of its
 * kind: a Content-Length past it before anything is read, a chunked or compressed body at the
 * chunk that passes it (a gzip bomb stops there). Nothing beyond the limit is kept. An unknown
 * Content-Encoding is 415, a body that does not decode 400. Null when the request has no body.
 */
export function limitedBody(c: Context, kind: BodyKind): AsyncIterable<Buffer> | null {
  const limits = c.get('bodyLimits') ?? DEFAULT_BODY_LIMITS
  const limit = limits[kind]
  const deadlineMs = kind === 'json' ? (limits.jsonTimeoutMs ?? DEFAULT_BODY_LIMITS.jsonTimeoutMs!) : null
  const encoding = (c.req.header('content-encoding') ?? '').trim().toLowerCase()
  const decoder = encoding === '' || encoding === 'identity' ? null : DECODERS[encoding]
  if (decoder === undefined)
    throw new SluiceError(
      'UNSUPPORTED_FORMAT',
      `content-encoding "${encoding}" is not supported; send the body as it is, or with gzip, deflate or br`,
    )
  // A compressed body's length says nothing of its decoded size; a plain one's says it all.
  if (!decoder && Number(c.req.header('content-length')) > limit) throw tooLarge(kind, limit)
  const body = c.req.raw.body
  if (!body) return null
  return counted(Readable.fromWeb(body as never), decoder, encoding, kind, limit, deadlineMs)
}

type BodyKind = 'json' | 'upload'

/** The whole (limited) body as text; empty when there is none. */
export async function bodyText(c: Context, kind: BodyKind): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of limitedBody(c, kind) ?? []) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

async function* counted(
  source: Readable,
  decoder: (() => NodeJS.ReadWriteStream) | null,
  encoding: string,
  kind: BodyKind,
  limit: number,
  deadlineMs: number | null,
): AsyncGenerator<Buffer> {
  let late = false
  const deadline =
    deadlineMs === null
      ? null
      : setTimeout(() => {
          late = true
          source.destroy(new Error('request body timeout'))
        }, deadlineMs)
  let decoded: AsyncIterable<Buffer> = source
  if (decoder) {
    const d = decoder()
    // Read below; a failure on either side ends the other and surfaces in that read.
    pipeline(source, d).catch(() => {})
    decoded = d as unknown as AsyncIterable<Buffer>
  }
  let size = 0
  try {
    for await (const chunk of decoded) {
      size += chunk.length
      if (size > limit) throw tooLarge(kind, limit)
      yield chunk
    }
  } catch (e) {
    if (late)
      throw new SluiceError(
        'REQUEST_TIMEOUT',
        `the request body did not arrive within ${deadlineMs! / 1000} s (server.body_timeout in sluice.yaml); send it faster, or raise the limit`,
      )
    const { errno, code } = e as { errno?: unknown; code?: unknown }
    if (decoder && typeof errno === 'number' && /^(Z_|ERR_)/.test(String(code)))
      throw new SluiceError(
        'INVALID_INPUT',
        `the request body is not valid ${encoding} data (${(e as Error).message}); send it as it is, or compressed whole`,
      )
    // The client closed the connection, or went quiet past the idle timeout and was cut off.
    if (code === 'ECONNRESET' || (e as Error).message === 'aborted')
      throw new SluiceError(
        'INVALID_INPUT',
        'the request body ended before all of it arrived: the client closed the connection or stopped sending',
      )
    throw e
  } finally {
    if (deadline) clearTimeout(deadline)
  }
}

function tooLarge(kind: BodyKind, limit: number): SluiceError {
  const what = kind === 'json' ? 'a JSON request body' : 'an upload'
  return new SluiceError(
    'PAYLOAD_TOO_LARGE',
    `the request body is larger than ${size(limit)}, the limit for ${what} (${SETTING[kind]} in sluice.yaml); send less, or raise the limit`,
  )
}

/** 1048576 → "1 MB (1048576 bytes)"; units of 1024, as the settings count them. */
function size(bytes: number): string {
  const [unit, scale] =
    bytes >= 2 ** 30 ? ['GB', 2 ** 30] : bytes >= 2 ** 20 ? ['MB', 2 ** 20] : ['KB', 2 ** 10]
  return `${Math.round((bytes / scale) * 100) / 100} ${unit} (${bytes} bytes)`
}
