import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { deflateSync, gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { inferenceFastPath } from './fast-path.js'
import type { InferCall, Reply } from './handler.js'

let server: Server | undefined
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())))

/** A server whose fast path answers every inference request with `reply` (given the body, and the call). */
async function serve(
  reply: (body: string, call: InferCall) => Reply,
  logs: Record<string, unknown>[],
): Promise<string> {
  const fast = inferenceFastPath(async (call) => reply(String(call.body), call), {
    maxBodyBytes: 1024,
    log: (e) => logs.push(e),
  })
  server = createServer((req, res) => {
    if (!fast(req, res)) res.writeHead(404).end()
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/models/m/infer`
}

describe('inference fast path', () => {
  it('gives each reply its length in bytes (no chunked encoding)', async () => {
    const url = await serve(() => ({ status: 200, headers: {}, body: '{"city":"Zürich"}' }), [])
    const r = await fetch(url, { method: 'POST', body: '{}' })
    expect(r.headers.get('content-length')).toBe('18')
    expect(r.headers.get('transfer-encoding')).toBeNull()
    expect(await r.json()).toEqual({ city: 'Zürich' })
  })

  it('answers every request of a burst, each with its own reply', async () => {
    const logs: Record<string, unknown>[] = []
    const url = await serve((body) => ({ status: 200, headers: { 'x-echo': body }, body }), logs)
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(url, { method: 'POST', body: String(i) }).then(async (r) => [
          r.headers.get('x-echo'),
          await r.text(),
        ]),
      ),
    )
    expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => [String(i), String(i)]))
    expect(logs.filter((e) => e.status === 200)).toHaveLength(50)
  })

  it('a reply Node refuses to write closes that connection only; the server keeps answering', async () => {
    const logs: Record<string, unknown>[] = []
    const url = await serve(
      (body) => ({
        status: 200,
        headers: body === 'bad' ? { 'x-bad': 'a\nb' } : ({} as Record<string, string>),
        body: 'ok',
      }),
      logs,
    )
    await expect(fetch(url, { method: 'POST', body: 'bad' })).rejects.toThrow()
    const after = await fetch(url, { method: 'POST', body: 'good' })
    expect(await after.text()).toBe('ok')
    expect(logs[0]).toMatchObject({ level: 'error', error: expect.stringMatching(/could not be written/) })
    expect(logs[1]).toMatchObject({ level: 'info', status: 200 })
  })

  it('answers 413 before reading a body past the limit', async () => {
    const logs: Record<string, unknown>[] = []
    const url = await serve(() => ({ status: 200, headers: {}, body: 'ok' }), logs)
    const r = await fetch(url, { method: 'POST', body: 'x'.repeat(2048) })
    expect(r.status).toBe(413)
    expect(await r.json()).toEqual({ error: 'request body is larger than 1024 bytes' })
    expect(r.headers.get('x-request-id')).toMatch(/^req_/)
    const named = await fetch(url, {
      method: 'POST',
      body: 'x'.repeat(2048),
      headers: { 'x-request-id': 'big-1' },
    })
    expect(named.status).toBe(413)
    expect(named.headers.get('x-request-id')).toBe('big-1')
  })
})

describe('inference fast path: bodies that are not plain JSON', () => {
  /** Echoes how the handler got the body: its type, length and text, and the header length. */
  const echo = (_: string, call: InferCall): Reply => ({
    status: 200,
    headers: {},
    body: JSON.stringify({
      bytes: typeof call.body !== 'string',
      text: Buffer.from(call.body).toString(),
      headerLength: call.headerLength ?? null,
    }),
  })

  it('hands a binary-extension body over as bytes, with its Inference-Header-Content-Length', async () => {
    const url = await serve(echo, [])
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'Inference-Header-Content-Length': '2' },
      body: new Uint8Array([0x7b, 0x7d, 0xff, 0x00]),
    })
    expect(await r.json()).toEqual({ bytes: true, text: '{}\ufffd\u0000', headerLength: '2' })
    const plain = await fetch(url, { method: 'POST', body: '{"a":1}' })
    expect(await plain.json()).toEqual({ bytes: false, text: '{"a":1}', headerLength: null })
  })

  it('decodes gzip and deflate bodies before the handler', async () => {
    const url = await serve(echo, [])
    for (const [encoding, encode] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
    ] as const) {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-encoding': encoding },
        body: encode('{"inputs":[]}'),
      })
      expect(await r.json()).toEqual({ bytes: false, text: '{"inputs":[]}', headerLength: null })
    }
  })

  it('refuses an unknown encoding with 415, a bad gzip body with 400 and a bomb with 413', async () => {
    const logs: Record<string, unknown>[] = []
    const url = await serve(echo, logs)
    const post = (encoding: string, body: Uint8Array | string) =>
      fetch(url, { method: 'POST', headers: { 'content-encoding': encoding }, body })
    const br = await post('br', '{}')
    expect([br.status, await br.json()]).toEqual([
      415,
      {
        error:
          'Content-Encoding "br" is not supported; send the body as it is, or compressed with gzip or deflate',
      },
    ])
    const bad = await post('gzip', '{}')
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /^the gzip request body could not be decoded/,
    )
    // 1024 bytes is the limit here: 64 KB of zeros is a few dozen bytes of gzip.
    const bomb = await post('gzip', gzipSync(Buffer.alloc(64 << 10)))
    expect([bomb.status, await bomb.json()]).toEqual([
      413,
      { error: 'request body is larger than 1024 bytes once decoded (Content-Encoding: gzip)' },
    ])
    expect(bomb.headers.get('x-request-id')).toMatch(/^req_/)
    expect(logs.map((e) => e.status)).toEqual([415, 400, 413])
  })
})
