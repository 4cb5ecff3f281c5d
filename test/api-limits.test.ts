import { readdirSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logisticModel } from '../scripts/onnx-fixtures.mjs'
import { createApp } from '../src/api/app.js'
import { listen, type RunningServer } from '../src/api/server.js'
import { loadConfig } from '../src/core/config.js'
import { LocalRegistry } from '../src/registry/local.js'
import { tempDir } from './support/cli.js'

// The REST API's bounds: bodies are counted as they arrive (after decoding) and refused at the
// limit, strings have maximum lengths, and clients that stop sending are cut off. Small limits
// stand in for the defaults (1 MB of JSON, 16 GB uploads, 60 s idle) so the tests stay small.
const JSON_LIMIT = 16 * 1024
const UPLOAD_LIMIT = 64 * 1024
const IDLE_MS = 300

let home: string
let server: RunningServer
let registry: LocalRegistry
let host: string
let port: number
const logged: Record<string, unknown>[] = []

beforeAll(async () => {
  home = tempDir()
  const config = loadConfig({ cwd: home, env: {} })
  registry = await LocalRegistry.open(config)
  const app = createApp({
    registry,
    tmpDir: path.join(config.home, 'tmp'),
    log: (e) => logged.push(e),
    bodyLimits: { json: JSON_LIMIT, upload: UPLOAD_LIMIT },
  })
  server = await listen(app, '127.0.0.1', 0, undefined, { idleMs: IDLE_MS, headersMs: 10_000 })
  host = '127.0.0.1'
  port = server.port
  const up = await fetch(`${server.url}/api/v1/artifacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: logisticModel({ features: ['x'], weights: [0.1] }),
  })
  const blob = (await up.json()) as { digest: string }
  const reg = await fetch(`${server.url}/api/v1/models/m/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ artifact: { digest: blob.digest, kind: 'file' }, flavor: 'onnx' }),
  })
  expect(reg.status).toBe(201)
})
afterAll(async () => {
  await server.close()
  await registry.close()
})

interface Answer {
  status: number
  body: { error?: { code: string; message: string } } & Record<string, unknown>
}

/**
 * One request on a connection of its own (some requests here promise bodies they never send, so
 * their connections must not be reused); `chunks` are written one by one (chunked unless a
 * content-length header is given) and writing stops as soon as the answer arrives.
 */
function send(
  method: string,
  route: string,
  headers: Record<string, string>,
  chunks: (Buffer | string)[],
  gapMs = 0,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false
    const req = http.request({ host, port, method, path: route, headers, agent: false }, (res) => {
      answered = true
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : {} }))
    })
    req.on('error', (e) => (answered ? undefined : reject(e)))
    const next = (i: number) => {
      if (answered) return
      if (i === chunks.length) return void req.end()
      req.write(chunks[i]!)
      if (gapMs > 0) setTimeout(() => next(i + 1), gapMs)
      else next(i + 1)
    }
    next(0)
  })
}

const json = { 'content-type': 'application/json' }
const bytes = { 'content-type': 'application/octet-stream' }
const statusBody = (reason: string) => JSON.stringify({ status: 'candidate', reason })
const STATUS = '/api/v1/models/m/versions/1/status'

async function reasonNow(): Promise<unknown> {
  return (await registry.getModelVersion('m@1')).status_reason
}

describe('REST API body limits', () => {
  it('refuses a JSON body whose Content-Length passes the limit at once, before reading it', async () => {
    // The headers promise 10 GB; no byte of the body is ever sent.
    const r = await send('PUT', STATUS, { ...json, 'content-length': String(10 * 2 ** 30) }, [])
    expect(r.status).toBe(413)
    expect(r.body.error).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message:
        'the request body is larger than 16 KB (16384 bytes), the limit for a JSON request body (server.max_json_mb in sluice.yaml); send less, or raise the limit',
    })
  })

  it('counts a chunked JSON body as it arrives and refuses it at the limit; nothing is stored', async () => {
    const before = await reasonNow()
    const r = await send('PUT', STATUS, json, [
      '{"status": "candidate", "reason": "',
      ...Array.from({ length: 20 }, () => 'x'.repeat(1000)),
      '"}',
    ])
    expect(r.status).toBe(413)
    expect(r.body.error?.code).toBe('PAYLOAD_TOO_LARGE')
    expect(await reasonNow()).toBe(before)
  })

  it('counts decoded bytes: a gzip body under the limit is read, a gzip bomb is refused', async () => {
    const ok = await send('PUT', STATUS, { ...json, 'content-encoding': 'gzip' }, [
      gzipSync(statusBody('compressed')),
    ])
    expect(ok.status).toBe(200)
    expect(await reasonNow()).toBe('compressed')
    // 100 MB of spaces inside the JSON compress to about 100 KB: refused at 16 KB decoded.
    const bomb = gzipSync(
      Buffer.concat([
        Buffer.from('{"status": "candidate", "reason": "'),
        Buffer.alloc(100 * 2 ** 20, 32),
        Buffer.from('"}'),
      ]),
    )
    const r = await send('PUT', STATUS, { ...json, 'content-encoding': 'gzip' }, [bomb])
    expect(r.status).toBe(413)
    expect(r.body.error?.message).toMatch(/^the request body is larger than 16 KB/)
    expect(await reasonNow()).toBe('compressed')
  })

  it('answers an unknown Content-Encoding 415 and a body that does not decode 400', async () => {
    const unknown = await send('PUT', STATUS, { ...json, 'content-encoding': 'zstd' }, [statusBody('x')])
    expect(unknown.status).toBe(415)
    expect(unknown.body.error).toEqual({
      code: 'UNSUPPORTED_FORMAT',
      message:
        'content-encoding "zstd" is not supported; send the body as it is, or with gzip, deflate or br',
    })
    const broken = await send('PUT', STATUS, { ...json, 'content-encoding': 'gzip' }, [statusBody('x')])
    expect(broken.status).toBe(400)
    expect(broken.body.error?.message).toBe(
      'the request body is not valid gzip data (incorrect header check); send it as it is, or compressed whole',
    )
  })

  it('refuses an upload past its limit, keeping neither a blob nor a temporary file', async () => {
    const blobs = () =>
      readdirSync(path.join(home, '.sluice', 'artifacts', 'sha256'), { recursive: true }).length
    const before = blobs()
    const chunk = Buffer.alloc(16 * 1024, 7)
    const chunked = await send('POST', '/api/v1/artifacts', bytes, Array(8).fill(chunk))
    expect(chunked.status).toBe(413)
    expect(chunked.body.error?.message).toBe(
      'the request body is larger than 64 KB (65536 bytes), the limit for an upload (server.max_upload_gb in sluice.yaml); send less, or raise the limit',
    )
    const declared = await send(
      'POST',
      '/api/v1/artifacts',
      { ...bytes, 'content-length': String(2 ** 40) },
      [],
    )
    expect(declared.status).toBe(413)
    const dataset = await send('POST', '/api/v1/datasets/big/versions?source=big.csv', bytes, [
      'a,b\n',
      ...Array(8).fill(`${'1,2\n'.repeat(4096)}`),
    ])
    expect(dataset.status).toBe(413)
    expect(blobs()).toBe(before)
    expect(readdirSync(path.join(home, '.sluice', 'artifacts', 'tmp'))).toEqual([])
    expect(readdirSync(path.join(home, '.sluice', 'tmp'))).toEqual([])
    // Under the limit, the same routes take a body sent chunked and gzip-encoded.
    const small = await send('POST', '/api/v1/artifacts', { ...bytes, 'content-encoding': 'gzip' }, [
      gzipSync(chunk),
    ])
    expect(small.status).toBe(201)
    expect(small.body.size).toBe(chunk.length)
  })

  it('caps string fields, so a long reason is a 400 naming the field and never stored', async () => {
    const r = await send('PUT', STATUS, json, [statusBody('r'.repeat(4097))])
    expect(r.status).toBe(400)
    expect(r.body.error?.message).toBe(
      'invalid request body: reason: Too big: expected string to have <=4096 characters',
    )
    expect(await reasonNow()).toBe('compressed')
  })

  it('refuses a JSON body nested too deeply in one sentence', async () => {
    const r = await send('PUT', STATUS, json, [
      `{"status": "candidate", "reason": ${'['.repeat(1000)}${']'.repeat(1000)}}`,
    ])
    expect(r.status).toBe(400)
    expect(r.body.error).toEqual({
      code: 'INVALID_INPUT',
      message:
        'the request body: lists or objects nested more than 64 levels deep; sluice reads no deeper, so flatten them',
    })
  })
})

describe('REST API strategy files', () => {
  it('answers a hostile strategy file 400 with the reason, not 500', async () => {
    const laughs = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdef'.split('').map((l, i) => `${l}: &${l} [${Array(10).fill(`*${'abcdef'[i]}`).join(', ')}]`),
      `strategy: [${Array(10).fill('*f').join(', ')}]`,
    ].join('\n')
    const deployed = await send('PUT', '/api/v1/deployments/d', json, [JSON.stringify({ model: 'm@1' })])
    expect(deployed.status).toBe(200)
    const start = (text: string) =>
      send('POST', '/api/v1/deployments/d/rollout', json, [
        JSON.stringify({ model: 'm@1', strategy_file: { name: 'canary.yaml', text } }),
      ])
    const bomb = await start(laughs)
    expect(bomb.status).toBe(400)
    expect(bomb.body.error).toEqual({
      code: 'INVALID_CONFIG',
      message:
        'canary.yaml: its aliases (*name) expand to too many values, as in a "billion laughs" document; write the repeated values out',
    })
    const deep = await start(`strategy: canary\nsteps: ${'['.repeat(10_000)}`)
    expect(deep.status).toBe(400)
    expect(deep.body.error?.message).toBe(
      'canary.yaml:2: lists or objects nested more than 64 levels deep; sluice reads no deeper, so flatten them',
    )
  })
})

describe('REST API slow clients', () => {
  /** Opens a raw connection, writes `head`, and resolves with what came back once the server closes it. */
  function silentAfter(head: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => socket.write(head))
      let got = ''
      socket.on('data', (d) => (got += d))
      socket.on('error', reject)
      socket.on('close', () => resolve(got))
    })
  }

  it('closes a connection whose client stops sending mid-request or mid-headers', async () => {
    // Each of these would hold a connection (and, mid-body, an open request) for as long as the
    // client liked; the server closes it after the idle timeout without answering.
    expect(
      await silentAfter(
        'POST /api/v1/artifacts HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/octet-stream\r\ncontent-length: 100\r\n\r\nabc',
      ),
    ).toBe('')
    expect(await silentAfter('PUT /api/v1/models/m/versions/1/status HTTP/1.1\r\nhost: 127.0.0.1\r\n')).toBe(
      '',
    )
    expect(await silentAfter('')).toBe('')
    // The request cut off mid-body is logged as the client's failure, not as a server error.
    expect(logged.filter((e) => e.level === 'error')).toEqual([])
    expect(logged.at(-1)).toMatchObject({ method: 'POST', path: '/api/v1/artifacts', status: 400 })
  })

  it('keeps a client that sends slowly but steadily, for far longer than the idle timeout', async () => {
    // Twenty chunks 100 ms apart: the upload lasts about six times the idle timeout.
    const chunk = Buffer.alloc(1024, 3)
    const r = await send('POST', '/api/v1/artifacts', bytes, Array(20).fill(chunk), 100)
    expect(r.status).toBe(201)
    expect(r.body.size).toBe(20 * 1024)
  })
})
