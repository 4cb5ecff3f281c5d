import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logisticModel } from '../scripts/onnx-fixtures.mjs'
import { createApp, routeTable } from '../src/api/app.js'
import { inferenceGate, neededScope, type Security } from '../src/api/auth/guard.js'
import { makeSecurity } from '../src/api/auth/security.js'
import { LocalTokens } from '../src/api/auth/tokens.js'
import { listen, type RunningServer } from '../src/api/server.js'
import { isMiddleware, type TableEntry } from '../src/api/table.js'
import { localActor, SCOPES, type Scope } from '../src/core/actor.js'
import { loadConfig } from '../src/core/config.js'
import { LocalRegistry } from '../src/registry/local.js'
import { deploy } from '../src/serving/deploy.js'
import { type Serving, startServing } from '../src/serving/server.js'
import { ROOT, tempDir } from './support/cli.js'

// The scope table, walked: every route the server answers — the REST API and the model server's
// routes mounted beside it — is called without a token (401), with a token of the scope just
// below the one it needs (403), and with a token of exactly that scope (2xx), over real HTTP
// (inference through the server's fast path). A route that is not in the table, or that has no
// request below, fails this test.

let home: string
let registry: LocalRegistry
let serving: Serving
let security: Security
let server: RunningServer
let app: Hono
const tokens = {} as Record<Scope, string>
let modelDigest: string

async function register(weight: number, file: string) {
  const p = path.join(home, file)
  writeFileSync(p, logisticModel({ features: ['distance'], weights: [weight] }))
  return registry.registerModelVersion({
    name: 'm',
    artifact: await registry.storeArtifact(p),
    flavor: 'onnx',
  })
}

beforeAll(async () => {
  home = tempDir('sluice-scopes-')
  registry = await LocalRegistry.open(loadConfig({ cwd: home, env: {} }))
  modelDigest = (await register(0.01, 'm1.onnx')).artifact.digest
  await register(0.02, 'm2.onnx')
  await register(0.03, 'm3.onnx')
  // Deployment d answers with m@1, and had m@3 before (what a rollback goes back to).
  await deploy(registry, 'm@3', 'd')
  await deploy(registry, 'm@1', 'd')
  // Inference needs a token here (serving.auth: token), so its routes have a scope to test too.
  security = makeSecurity(registry.store.tokens, { servingAuth: 'token' })
  serving = await startServing({
    registry,
    dir: path.join(home, 'serving'),
    pollMs: 50,
    log: () => {},
    gate: inferenceGate(security),
  })
  security.failures.expose(serving.metrics.registry)
  const local = new LocalTokens(registry.store.tokens, localActor())
  for (const scope of [...SCOPES].reverse())
    tokens[scope] = (await local.create({ name: scope, scope })).token
  await security.verifier.start()
  app = createApp({
    registry,
    tmpDir: path.join(home, 'tmp'),
    modules: [{ prefix: '/', routes: serving.routes, access: serving.access }],
    log: () => {},
    security,
  })
  server = await listen(app, '127.0.0.1', 0, serving.fastPath)
})
afterAll(async () => {
  security?.verifier.stop()
  await server?.close()
  await serving?.close()
  await registry?.close()
})

interface Call {
  path: string
  method?: string
  json?: unknown
  bytes?: string
  /** What the right token gets; 200 unless said. */
  status?: number
}

const infer = { inputs: [{ name: 'distance', shape: [1, 1], datatype: 'FP32', data: [100] }] }

/**
 * One valid request per route, in the order they run (later ones count on what earlier ones did:
 * the alias set before it is deleted, the rollout started before it is promoted).
 */
const FIXTURES: [string, () => Call][] = [
  ['GET /healthz', () => ({ path: '/healthz' })],
  ['GET /openapi.json', () => ({ path: '/openapi.json' })],
  // The model server's routes (deployment d answers with m@1).
  ['GET /v2/health/live', () => ({ path: '/v2/health/live' })],
  ['ALL /v2/health/live', () => ({ path: '/v2/health/live', method: 'DELETE', status: 405 })],
  ['GET /v2/health/ready', () => ({ path: '/v2/health/ready' })],
  ['ALL /v2/health/ready', () => ({ path: '/v2/health/ready', method: 'DELETE', status: 405 })],
  ['GET /v2', () => ({ path: '/v2' })],
  ['ALL /v2', () => ({ path: '/v2', method: 'DELETE', status: 405 })],
  ['GET /v2/', () => ({ path: '/v2/' })],
  ['ALL /v2/', () => ({ path: '/v2/', method: 'DELETE', status: 405 })],
  ['GET /v2/models/:name', () => ({ path: '/v2/models/d' })],
  ['ALL /v2/models/:name', () => ({ path: '/v2/models/d', method: 'DELETE', status: 405 })],
  ['GET /v2/models/:name/versions/:version', () => ({ path: '/v2/models/d/versions/1' })],
  [
    'ALL /v2/models/:name/versions/:version',
    () => ({ path: '/v2/models/d/versions/1', method: 'DELETE', status: 405 }),
  ],
  ['GET /v2/models/:name/ready', () => ({ path: '/v2/models/d/ready' })],
  ['ALL /v2/models/:name/ready', () => ({ path: '/v2/models/d/ready', method: 'DELETE', status: 405 })],
  ['GET /v2/models/:name/versions/:version/ready', () => ({ path: '/v2/models/d/versions/1/ready' })],
  [
    'ALL /v2/models/:name/versions/:version/ready',
    () => ({ path: '/v2/models/d/versions/1/ready', method: 'DELETE', status: 405 }),
  ],
  ['POST /v2/models/:name/infer', () => ({ path: '/v2/models/d/infer', json: infer })],
  ['ALL /v2/models/:name/infer', () => ({ path: '/v2/models/d/infer', status: 405 })],
  [
    'POST /v2/models/:name/versions/:version/infer',
    () => ({ path: '/v2/models/d/versions/1/infer', json: infer }),
  ],
  [
    'ALL /v2/models/:name/versions/:version/infer',
    () => ({ path: '/v2/models/d/versions/1/infer', status: 405 }),
  ],
  [
    'POST /v1/deployments/:name/predict',
    () => ({ path: '/v1/deployments/d/predict', json: { instances: [{ distance: 100 }] } }),
  ],
  ['ALL /v1/deployments/:name/predict', () => ({ path: '/v1/deployments/d/predict', status: 405 })],
  ['ALL /v2/*', () => ({ path: '/v2/nothing/here', status: 404 })],
  ['GET /metrics', () => ({ path: '/metrics' })],
  // Models.
  ['GET /api/v1/model-versions', () => ({ path: '/api/v1/model-versions?name=m' })],
  [
    'POST /api/v1/models/:name/versions',
    () => ({
      path: '/api/v1/models/m/versions',
      json: { artifact: { digest: modelDigest, kind: 'file' }, flavor: 'onnx' },
      status: 201,
    }),
  ],
  ['GET /api/v1/models/:name/versions/:ref', () => ({ path: '/api/v1/models/m/versions/1' })],
  ['GET /api/v1/models/:name/versions/:ref/card', () => ({ path: '/api/v1/models/m/versions/1/card' })],
  [
    'PATCH /api/v1/models/:name/versions/:ref/tags',
    () => ({ path: '/api/v1/models/m/versions/1/tags', json: { set: { team: 'x' }, remove: [] } }),
  ],
  [
    'PUT /api/v1/models/:name/versions/:ref/status',
    () => ({ path: '/api/v1/models/m/versions/1/status', json: { status: 'candidate' } }),
  ],
  [
    'PUT /api/v1/models/:name/aliases/:alias',
    () => ({ path: '/api/v1/models/m/aliases/champion', json: { version: 1 } }),
  ],
  [
    'DELETE /api/v1/models/:name/aliases/:alias',
    () => ({ path: '/api/v1/models/m/aliases/champion', method: 'DELETE' }),
  ],
  // Datasets and artifacts.
  [
    'POST /api/v1/datasets/:name/versions',
    () => ({ path: '/api/v1/datasets/ds/versions?source=ds.csv', bytes: 'a,b\n1,2\n', status: 201 }),
  ],
  ['GET /api/v1/datasets', () => ({ path: '/api/v1/datasets' })],
  ['GET /api/v1/datasets/:name/versions', () => ({ path: '/api/v1/datasets/ds/versions' })],
  ['GET /api/v1/datasets/:name/versions/:version', () => ({ path: '/api/v1/datasets/ds/versions/1' })],
  ['POST /api/v1/artifacts', () => ({ path: '/api/v1/artifacts', bytes: 'a file', status: 201 })],
  [
    'POST /api/v1/artifacts/folders',
    () => ({
      path: '/api/v1/artifacts/folders',
      json: {
        files: [{ path: 'model.onnx', digest: modelDigest, size: folderSize(), executable: false }],
      },
      status: 201,
    }),
  ],
  ['GET /api/v1/artifacts/:digest', () => ({ path: `/api/v1/artifacts/${modelDigest}` })],
  [
    'POST /api/v1/artifacts/gc',
    () => ({ path: '/api/v1/artifacts/gc', json: { apply: false, grace_seconds: 3600 } }),
  ],
  ['POST /api/v1/artifacts/verify', () => ({ path: '/api/v1/artifacts/verify', json: { repair: false } })],
  // Tokens.
  ['GET /api/v1/tokens', () => ({ path: '/api/v1/tokens' })],
  [
    'POST /api/v1/tokens',
    () => ({ path: '/api/v1/tokens', json: { name: 'walker', scope: 'read' }, status: 201 }),
  ],
  ['DELETE /api/v1/tokens/:name', () => ({ path: '/api/v1/tokens/walker', method: 'DELETE' })],
  // Deployments and rollouts, last: the rollback at the end rejects m@1.
  ['GET /api/v1/deployments', () => ({ path: '/api/v1/deployments' })],
  ['GET /api/v1/deployments/:name', () => ({ path: '/api/v1/deployments/d' })],
  [
    'PUT /api/v1/deployments/:name',
    () => ({ path: '/api/v1/deployments/d', method: 'PUT', json: { model: 'm@1' } }),
  ],
  [
    'POST /api/v1/deployments/:name/rollout',
    () => ({
      path: '/api/v1/deployments/d/rollout',
      json: { model: 'm@2', strategy: 'canary', steps: '10,25,50', pause: 'manual' },
      status: 201,
    }),
  ],
  ['GET /api/v1/deployments/:name/rollout', () => ({ path: '/api/v1/deployments/d/rollout' })],
  [
    'POST /api/v1/deployments/:name/rollout/promote',
    () => ({ path: '/api/v1/deployments/d/rollout/promote', json: { full: false } }),
  ],
  [
    'POST /api/v1/deployments/:name/rollout/abort',
    () => ({ path: '/api/v1/deployments/d/rollout/abort', json: { reason: 'walked' } }),
  ],
  [
    'GET /api/v1/deployments/:name/rollout/history',
    () => ({ path: '/api/v1/deployments/d/rollout/history' }),
  ],
  ['POST /api/v1/deployments/:name/rollback', () => ({ path: '/api/v1/deployments/d/rollback' })],
]

const folderSize = () => logisticModel({ features: ['distance'], weights: [0.01] }).length

/** The method a call is sent with: its own, else POST with a body, else GET. */
const methodOf = (key: string, call: Call) => {
  const [method] = key.split(' ')
  if (call.method) return call.method
  if (method === 'ALL') return call.json || call.bytes ? 'POST' : 'GET'
  return method!
}

async function send(key: string, call: Call, token: string | null) {
  const headers: Record<string, string> = {}
  if (token) headers.authorization = `Bearer ${token}`
  let body: string | undefined
  if (call.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(call.json)
  } else if (call.bytes !== undefined) {
    headers['content-type'] = 'application/octet-stream'
    body = call.bytes
  }
  const method = methodOf(key, call)
  // PUT and PATCH are named by their key; a JSON call on them keeps its method.
  const res = await fetch(`${server.url}${call.path}`, { method, headers, body })
  const text = await res.text()
  return { status: res.status, text }
}

const keyOf = (e: { method: string; path: string }) => `${e.method} ${e.path}`

describe('the scope table', () => {
  it('lists every route the web framework registered, and nothing it did not', () => {
    const table = new Set(routeTable(app).map(keyOf))
    const registered = app.routes.filter((r) => !isMiddleware(r.handler)).map(keyOf)
    expect(registered.filter((k) => !table.has(k))).toEqual([])
    expect([...table].filter((k) => !registered.includes(k))).toEqual([])
  })

  it('has one request below for every route, and no request for a route it does not have', () => {
    const table = routeTable(app).map(keyOf).sort()
    expect(FIXTURES.map(([k]) => k).sort()).toEqual(table)
  })

  it('needs a token of the route’s scope: none → 401, the scope below → 403, the scope itself → 2xx', async () => {
    // The model server has loaded deployment d.
    for (let i = 0; i < 200 && !serving.table.get('d')?.current; i++)
      await new Promise((r) => setTimeout(r, 25))
    const entries = new Map<string, TableEntry>(routeTable(app).map((e) => [keyOf(e), e]))
    const seen: string[] = []
    for (const [key, fixture] of FIXTURES) {
      const call = fixture()
      const need = neededScope(entries.get(key)!.access, security.servingAuth)
      const expected = call.status ?? 200
      if (need === null) {
        const open = await send(key, call, null)
        expect(open.status, `${key} (public): ${open.text}`).toBe(expected)
        seen.push(`${key}: public`)
        continue
      }
      const none = await send(key, call, null)
      expect(none.status, `${key} without a token: ${none.text}`).toBe(401)
      const below = SCOPES[SCOPES.indexOf(need) - 1]
      if (below) {
        const weak = await send(key, call, tokens[below])
        expect(weak.status, `${key} with a ${below} token: ${weak.text}`).toBe(403)
      }
      const right = await send(key, call, tokens[need])
      expect(right.status, `${key} with a ${need} token: ${right.text}`).toBe(expected)
      seen.push(`${key}: ${need}`)
    }
    // The scopes the issue gives: every GET reads, changes write, deployments deploy, tokens admin.
    expect(seen).toEqual(
      expect.arrayContaining([
        'GET /api/v1/model-versions: read',
        'POST /api/v1/models/:name/versions: write',
        'PUT /api/v1/models/:name/aliases/:alias: write',
        'PUT /api/v1/deployments/:name: deploy',
        'POST /api/v1/deployments/:name/rollout/promote: deploy',
        'POST /api/v1/deployments/:name/rollback: deploy',
        'POST /api/v1/artifacts/gc: admin',
        'GET /api/v1/tokens: admin',
        'POST /v2/models/:name/infer: infer',
        'GET /metrics: infer',
        'GET /v2/health/live: public',
        'GET /healthz: public',
      ]),
    )
  })

  it('names each REST route’s scope in /openapi.json', async () => {
    const doc = (await (
      await fetch(`${server.url}/openapi.json`, { headers: { authorization: `Bearer ${tokens.read}` } })
    ).json()) as { paths: Record<string, Record<string, { 'x-sluice-scope'?: string }>> }
    for (const e of routeTable(app).filter((x) => x.path.startsWith('/api/v1/'))) {
      const operation = doc.paths[e.path.replace(/:(\w+)/g, '{$1}')]?.[e.method.toLowerCase()]
      expect(operation?.['x-sluice-scope'], keyOf(e)).toBe(e.access)
    }
  })

  it('is the table docs/api.md shows, scope for scope', () => {
    const documented = new Map<string, string>()
    for (const line of readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8').split('\n')) {
      const m = /^\| `(?:(GET)`, `HEAD|(GET|POST|PUT|PATCH|DELETE)) ([^`?]+)[^|]*\| (\w+) \|/.exec(line)
      if (m) documented.set(`${m[1] ?? m[2]} ${m[3]!.replace(/\{(\w+)\}/g, ':$1')}`, m[4]!)
    }
    const table = routeTable(app).filter((e) => e.path.startsWith('/api/v1/') || e.path === '/healthz')
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(table.map((e) => [keyOf(e), e.access])))
  })
})
