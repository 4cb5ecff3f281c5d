import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logisticModel } from '../scripts/onnx-fixtures.mjs'
import { createApp } from '../src/api/app.js'
import { listen, type RunningServer } from '../src/api/server.js'
import { loadConfig } from '../src/core/config.js'
import { LocalRegistry } from '../src/registry/local.js'
import { json, sluice, tempDir } from './support/cli.js'

let home: string
let server: RunningServer
let registry: LocalRegistry
const model = logisticModel({ features: ['distance'], weights: [0.01] })

beforeAll(async () => {
  home = tempDir()
  const config = loadConfig({ cwd: home, env: {} })
  registry = await LocalRegistry.open(config)
  server = await listen(
    createApp({ registry, tmpDir: path.join(config.home, 'tmp'), log: () => {} }),
    '127.0.0.1',
    0,
  )
})
afterAll(async () => {
  await server.close()
  await registry.close()
})

const api = (route: string, init?: RequestInit) => fetch(`${server.url}${route}`, init)
const post = (route: string, body: unknown, method = 'POST') =>
  api(route, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
/** An upload: its bytes, typed as the upload routes take them. */
const upload = (route: string, body: string | Uint8Array) =>
  api(route, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body })

describe('REST API', () => {
  it('serves health, an OpenAPI document, and request ids', async () => {
    const h = await api('/healthz', { headers: { 'x-request-id': 'abc-123' } })
    expect(h.status).toBe(200)
    expect(h.headers.get('x-request-id')).toBe('abc-123')
    expect(await h.json()).toMatchObject({ status: 'ok' })
    expect((await api('/healthz')).headers.get('x-request-id')).toMatch(/^req_/)
    const doc = (await (await api('/openapi.json')).json()) as {
      openapi: string
      paths: Record<string, unknown>
    }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/model-versions', '/api/v1/artifacts/{digest}']),
    )
  })

  it('streams artifacts in and out, registers, aliases and renders the card', async () => {
    const up = await upload('/api/v1/artifacts', model)
    expect(up.status).toBe(201)
    const blob = (await up.json()) as { digest: string; size: number }
    expect(blob.size).toBe(model.length)
    const head = await api(`/api/v1/artifacts/${blob.digest}`, { method: 'HEAD' })
    expect(head.headers.get('content-length')).toBe(String(model.length))
    expect(Buffer.from(await (await api(`/api/v1/artifacts/${blob.digest}`)).arrayBuffer())).toEqual(
      Buffer.from(model),
    )

    const reg = await post('/api/v1/models/fraud/versions', {
      artifact: { digest: blob.digest, kind: 'file' },
      flavor: 'onnx',
      metrics: { auc: 0.9 },
    })
    expect(reg.status).toBe(201)
    expect(await reg.json()).toMatchObject({ schema: 'sluice.model-version/v1', name: 'fraud', version: 1 })
    expect((await post('/api/v1/models/fraud/aliases/champion', { version: 1 }, 'PUT')).status).toBe(200)
    expect(await (await api('/api/v1/models/fraud/versions/champion')).json()).toMatchObject({
      version: 1,
      aliases: ['champion'],
    })
    const card = await api('/api/v1/models/fraud/versions/champion/card')
    expect(card.headers.get('content-type')).toContain('text/markdown')
    expect(await card.text()).toContain('# fraud — version 1')
    const list = (await (await api('/api/v1/model-versions?where=auc%3E0.5&alias=champion')).json()) as {
      items: unknown[]
    }
    expect(list.items).toHaveLength(1)
  })

  it('adds a dataset from an uploaded body, once per content', async () => {
    const csv = 'a,b\n1,x\n2,y\n3,x\n'
    const first = await upload('/api/v1/datasets/small/versions?source=small.csv', csv)
    expect(first.status).toBe(201)
    expect(await first.json()).toMatchObject({
      name: 'small',
      version: 1,
      rows: 3,
      format: 'csv',
      source: 'small.csv',
    })
    const again = await upload('/api/v1/datasets/small/versions?source=small.csv', csv)
    expect(again.status).toBe(200)
    const bad = await upload('/api/v1/datasets/small/versions?source=bad.csv', 'a,b\n1\n')
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /:2: expected 2 fields/,
    )
  })

  it('answers bad requests with {"error":{"code","message"}} and a 4xx status', async () => {
    const cases: [Promise<Response>, number, string, RegExp][] = [
      [api('/nope'), 404, 'NOT_FOUND', /no route for GET \/nope/],
      [api('/api/v1/models/ghost/versions/1'), 404, 'NOT_FOUND', /model "ghost" not found/],
      [api('/api/v1/models/..%2F..%2Fetc/versions/1'), 400, 'INVALID_NAME', /invalid model name/],
      [api('/api/v1/artifacts/..%2F..%2Fetc%2Fpasswd'), 400, 'INVALID_REFERENCE', /is not a digest/],
      [api(`/api/v1/artifacts/sha256:${'0'.repeat(64)}`), 404, 'ARTIFACT_MISSING', /is not stored/],
      [post('/api/v1/models/x/versions', { flavor: 'onnx' }), 400, 'INVALID_INPUT', /artifact: /],
      [
        post('/api/v1/models/x/versions', {
          artifact: { digest: `sha256:${'1'.repeat(64)}`, kind: 'file' },
          flavor: 'onnx',
        }),
        404,
        'ARTIFACT_MISSING',
        /upload it first/,
      ],
      [
        api('/api/v1/models/x/versions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{not json',
        }),
        400,
        'INVALID_INPUT',
        /not valid JSON/,
      ],
      [
        post('/api/v1/models/fraud/aliases/champion', { version: 9 }, 'PUT'),
        404,
        'NOT_FOUND',
        /has no version 9/,
      ],
    ]
    for (const [pending, status, code, message] of cases) {
      const res = await pending
      const body = (await res.json()) as { error: { code: string; message: string } }
      expect(res.status, body.error.message).toBe(status)
      expect(body.error.code).toBe(code)
      expect(body.error.message).toMatch(message)
    }
  })

  it('answers a small corrupt blob with a JSON error naming it, and breaks the transfer of a large one', async () => {
    const small = Buffer.from('small blob')
    const s = (await (await upload('/api/v1/artifacts', small)).json()) as {
      digest: string
    }
    const sfile = path.join(home, '.sluice', 'artifacts', 'sha256', s.digest.slice(7, 9), s.digest.slice(7))
    chmodSync(sfile, 0o644)
    writeFileSync(sfile, 'smell blob')
    const sres = await api(`/api/v1/artifacts/${s.digest}`)
    expect(sres.status).toBe(500)
    expect(await sres.json()).toMatchObject({
      error: { code: 'ARTIFACT_CORRUPT', message: expect.stringContaining(`blob ${s.digest} is corrupt`) },
    })

    const bytes = Buffer.alloc(12 << 20, 3)
    const { digest } = (await (await upload('/api/v1/artifacts', bytes)).json()) as {
      digest: string
    }
    const hex = digest.slice(7)
    const file = path.join(home, '.sluice', 'artifacts', 'sha256', hex.slice(0, 2), hex)
    chmodSync(file, 0o644)
    const tampered = readFileSync(file)
    tampered[10] = 9
    writeFileSync(file, tampered)
    const res = await api(`/api/v1/artifacts/${digest}`)
    await expect(res.arrayBuffer()).rejects.toThrow()
  })

  it('serves the CLI with --server: the same commands, the same documents', async () => {
    const work = tempDir()
    writeFileSync(path.join(work, 'model.onnx'), model)
    writeFileSync(path.join(work, 'd.csv'), 'x,y\n1,2\n3,4\n')
    const env = { SLUICE_SERVER: server.url }
    const run = (...args: string[]) => sluice(args, { cwd: work, env })
    const ds = json(await run('data', 'add', 'd.csv', '--name', 'remote-data', '--json'))
    expect(ds).toMatchObject({ name: 'remote-data', version: 1, rows: 2, source: 'd.csv' })
    const v = json(
      await run(
        'models',
        'register',
        'remote',
        '--artifact',
        'model.onnx',
        '--flavor',
        'onnx',
        '--dataset',
        'remote-data@1',
        '--json',
      ),
    )
    expect(v).toMatchObject({ name: 'remote', version: 1, signature: { inputs: [{ name: 'distance' }] } })
    expect((await run('models', 'alias', 'remote', 'champion', '1')).code).toBe(0)
    expect((await run('models', 'card', 'remote@champion')).stdout).toContain('`remote-data@1`')
    // The server's own home holds what the remote CLI did.
    expect((await registry.getModelVersion('remote@champion')).lineage.datasets[0]).toMatchObject({
      name: 'remote-data',
      version: 1,
    })
    const missing = await run('models', 'show', 'remote@9')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('model "remote" has no version 9')
    const down = await sluice(['models', 'list'], { cwd: work, env: { SLUICE_SERVER: 'http://127.0.0.1:1' } })
    expect(down.code).toBe(2)
    expect(down.stderr).toMatch(/cannot reach the sluice server at http:\/\/127\.0\.0\.1:1/)
  })
})
