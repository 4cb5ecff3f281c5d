import type { IncomingMessage, ServerResponse } from 'node:http'
import { bodyDecoder, encodingOf, unsupportedEncoding } from './body-encoding.js'
import { endOfTurn } from './end-of-turn.js'
import type { InferCall, Reply } from './handler.js'
import { replyId } from './protocol/request-id.js'

/** Inference routes: `/v2/models/{name}[/versions/{v}]/infer` and `/v1/deployments/{name}/predict`. */
const INFER = /^\/v2\/models\/([^/?]+)(?:\/versions\/([^/?]+))?\/infer(?:\?|$)/
const PREDICT = /^\/v1\/deployments\/([^/?]+)\/predict(?:\?|$)/

/**
 * Decides whether a request may call inference (`serving.auth: token`): null lets it in; else the
 * refusal to answer (401 or 403 and why). Called once per inference request, before its body is
 * read, so it must be cheap: a header read and a lookup.
 */
export type InferenceGate = (
  req: IncomingMessage,
) => { status: number; message: string; headers: Record<string, string> } | null

/** How long the rest of an oversized body is read and dropped after its 413 before the connection closes. */
const LINGER_MS = 5_000

/**
 * Answers inference requests straight from Node's `http` objects, before the web framework: the
 * framework's Request/Response objects and body streams cost more than a small model's whole call.
 * Returns false for every other request (the caller hands it to the framework). Same handler,
 * same answers, same request log line as the framework's routes. Replies go out together at the
 * end of each turn of the event loop, after the turn's requests are all read and then all answered
 * (see endOfTurn).
 */
export function inferenceFastPath(
  handle: (call: InferCall) => Promise<Reply>,
  options: {
    maxBodyBytes: number
    log: (entry: Record<string, unknown>) => void
    /** Absent (`serving.auth: none`): no check at all. */
    gate?: InferenceGate | undefined
  },
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const gate = options.gate
  const answerLater = endOfTurn()
  const write = endOfTurn()
  return (req, res) => {
    if (req.method !== 'POST') return false
    const url = req.url ?? ''
    const infer = INFER.exec(url)
    const predict = infer ? null : PREDICT.exec(url)
    const match = infer ?? predict
    const deployment = match && decode(match[1]!)
    const version = match?.[2] === undefined ? undefined : decode(match[2])
    if (!deployment || version === null) return false // the framework answers what this does not match
    const started = performance.now()
    const headers = req.headers
    const header = headers['x-request-id']
    // Both absent on a plain JSON request: the binary extension and decoding are branches it never takes.
    const headerLength = headers['inference-header-content-length'] as string | undefined
    const encoding = headers['content-encoding']
    const call: Omit<InferCall, 'body'> = {
      kind: infer ? 'infer' : 'predict',
      deployment,
      version,
      requestId: typeof header === 'string' ? header : undefined,
      header: (name) => {
        const value = req.headers[name]
        return Array.isArray(value) ? value[0] : value
      },
      headerLength,
    }
    const answer = (reply: Reply) => {
      let refused: Error | undefined
      try {
        // With its length given, the head and body go out as one plain write, not chunked. (Given
        // to writeHead with the rest: a header set before it takes Node's slower merging path.)
        reply.headers['content-length'] = String(Buffer.byteLength(reply.body))
        res.writeHead(reply.status, reply.headers)
        res.end(reply.body)
      } catch (e) {
        // A reply Node will not write (a bug): this connection closes, the server and the
        // other replies of this turn carry on.
        refused = e as Error
        res.destroy()
      }
      options.log({
        level: refused || reply.status >= 500 ? 'error' : 'info',
        msg: 'request',
        request_id: reply.headers['x-request-id'] ?? call.requestId ?? null,
        method: 'POST',
        path: url.split('?')[0],
        status: reply.status,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        ...(refused && { error: `the reply could not be written: ${refused.message}` }),
      })
    }
    const send = (reply: Reply) => write(() => answer(reply))
    /** A refusal before the handler: answered at once, then the rest of the body is read and dropped. */
    const refuse = (status: number, message: string, extra?: Record<string, string>) => {
      answer({
        status,
        headers: { 'content-type': 'application/json', 'x-request-id': replyId(call.requestId), ...extra },
        body: JSON.stringify({ error: message }),
      })
      // The rest of the body is read and thrown away, not left unread: closing a connection with
      // bytes still coming makes the kernel reset it, and a client that sends its whole body before
      // reading (most do) would lose the answer. A body still coming after LINGER_MS closes it anyway.
      req.removeAllListeners('data')
      req.removeAllListeners('end')
      if (req.complete) return
      const stop = setTimeout(() => req.destroy(), LINGER_MS)
      req.once('end', () => clearTimeout(stop))
      req.once('close', () => clearTimeout(stop))
      req.resume()
    }
    if (gate !== undefined) {
      const refused = gate(req)
      if (refused !== null) {
        refuse(refused.status, refused.message, refused.headers)
        return true
      }
    }
    const tooLarge = () => refuse(413, `request body is larger than ${options.maxBodyBytes} bytes`)
    if (Number(headers['content-length'] ?? 0) > options.maxBodyBytes) {
      tooLarge()
      return true
    }
    const respond = (body: Buffer) =>
      answerLater(() =>
        // The binary extension's body stays bytes; any other is JSON text.
        handle({ ...call, body: headerLength === undefined ? body.toString('utf8') : body }).then(
          send,
          (e: Error) =>
            send({
              status: 500,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ error: `internal error: ${e.message}` }),
            }),
        ),
      )
    const decoding = encoding === undefined ? null : encodingOf(encoding)
    if (decoding === 'unsupported') {
      refuse(415, unsupportedEncoding(encoding!))
      return true
    }
    if (decoding !== null) {
      // Decoded as it arrives: the limit holds for the bytes sent and for the bytes decoded.
      const decoder = bodyDecoder(decoding, options.maxBodyBytes, (decoded) =>
        'body' in decoded ? respond(decoded.body) : refuse(decoded.status, decoded.message),
      )
      let sent = 0
      req.on('data', (chunk: Buffer) => {
        sent += chunk.length
        if (sent <= options.maxBodyBytes) return decoder.write(chunk)
        decoder.abort()
        tooLarge()
      })
      req.on('end', () => decoder.end())
      return true
    }
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > options.maxBodyBytes) tooLarge()
      else chunks.push(chunk)
    })
    req.on('end', () => respond(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    return true
  }
}

/** A path segment decoded, or null when its percent-escapes are malformed. */
function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}
