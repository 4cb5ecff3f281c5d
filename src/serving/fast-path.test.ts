import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { inferenceFastPath } from './fast-path.js'
import type { Reply } from './handler.js'

let server: Server | undefined
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())))

/** A server whose fast path answers every inference request with `reply`. */
async function serve(reply: (body: string) => Reply, logs: Record<string, unknown>[]): Promise<string> {
  const fast = inferenceFastPath(async (call) => reply(call.body), {
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
