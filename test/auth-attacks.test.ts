import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logisticModel } from '../scripts/onnx-fixtures.mjs'
import { newSecret } from '../src/api/auth/secret.js'
import { type Secured, startSecured } from './support/secured.js'

// Every attack of issue 16 but the two on approvals, against a real server on 127.0.0.1. Each
// refusal is checked by its status and by what did not change.

/** What an attacker could change, read from the home itself. */
async function state(s: Secured) {
  const versions = await s.registry.searchModelVersions({ name: 'm' })
  const rollout = (await s.registry.store.rollouts.latestRollout('d'))?.phase ?? 'none'
  return {
    versions: versions.items.map((v) => [v.version, v.aliases]),
    deployment: (await s.registry.store.deployments.getDeployment('d'))?.version,
    rollout,
    blobs: s.blobs(),
  }
}

describe('the text/plain attack chain (a web page driving a laptop server with no token)', () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured()
  })
  afterAll(() => s.close())

  /** What any web page may send to 127.0.0.1 without asking first: no preflight for these types. */
  const SIMPLE_TYPES = [
    'text/plain;charset=UTF-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    null,
  ]

  it('refuses every step — upload, register, move champion, start a rollout, promote — with 4xx; nothing changes', async () => {
    const before = await state(s)
    const digest = (await s.registry.getModelVersion('m@2')).artifact.digest
    const chain: [string, string, string | Uint8Array][] = [
      ['POST', '/api/v1/artifacts', logisticModel({ features: ['distance'], weights: [-1] })],
      [
        'POST',
        '/api/v1/models/m/versions',
        JSON.stringify({ artifact: { digest, kind: 'file' }, flavor: 'onnx' }),
      ],
      ['PUT', '/api/v1/models/m/aliases/champion', JSON.stringify({ version: 2 })],
      ['POST', '/api/v1/deployments/d/rollout', JSON.stringify({ model: 'm@2', steps: '100', pause: '0s' })],
      ['POST', '/api/v1/deployments/d/rollout/promote', JSON.stringify({ full: true })],
      ['POST', '/api/v1/deployments/d/rollback', ''],
    ]
    for (const [method, route, body] of chain)
      for (const type of SIMPLE_TYPES) {
        // As a page's fetch(…, {mode: 'no-cors'}) sends them, and with no Origin (a script, or a
        // browser that leaves it out): the type alone is refused.
        for (const origin of ['http://evil.example', null]) {
          const headers: Record<string, string> = {}
          if (type) headers['content-type'] = type
          if (origin) headers.origin = origin
          const r = await fetch(`${s.url}${route}`, { method, headers, body: body.length ? body : 'x' })
          const text = await r.text()
          expect(r.status, `${method} ${route} as ${type} from ${origin}: ${text}`).toBeGreaterThanOrEqual(
            400,
          )
          expect(r.status).toBeLessThan(500)
          expect([403, 415]).toContain(r.status)
          if (!origin) expect(JSON.parse(text).error.code).toBe('UNSUPPORTED_FORMAT')
        }
      }
    expect(await state(s)).toEqual(before)
  })

  it('takes the same steps as JSON from a client that is not a web page (the laptop case works without a token)', async () => {
    const r = await fetch(`${s.url}/api/v1/models/m/aliases/champion`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version: 1 }),
    })
    expect(r.status).toBe(200)
    const up = await fetch(`${s.url}/api/v1/artifacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: 'bytes',
    })
    expect(up.status).toBe(201)
  })

  it('refuses a foreign Origin even on a JSON request, and a mutating request with no body from one', async () => {
    const before = await state(s)
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1:1']) {
      const alias = await fetch(`${s.url}/api/v1/models/m/aliases/champion`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', origin },
        body: JSON.stringify({ version: 2 }),
      })
      expect(alias.status, origin).toBe(403)
      expect(((await alias.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN')
      const rollback = await fetch(`${s.url}/api/v1/deployments/d/rollback`, {
        method: 'POST',
        headers: { origin },
      })
      expect(rollback.status).toBe(403)
    }
    expect(await state(s)).toEqual(before)
    // The server's own origin is no foreigner.
    const own = await fetch(`${s.url}/api/v1/models/m/aliases/champion`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', origin: s.url },
      body: JSON.stringify({ version: 1 }),
    })
    expect(own.status).toBe(200)
  })

  it('refuses a foreign Host (DNS rebinding), reads included, and answers under loopback names', async () => {
    const before = await state(s)
    const port = new URL(s.url).port
    const ask = (method: string, route: string, host: string, body?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method,
            path: route,
            headers: { host, ...(body && { 'content-type': 'application/json' }) },
          },
          (res) => {
            res.resume()
            resolve(res.statusCode!)
          },
        )
        req.on('error', reject)
        req.end(body)
      })
    const move = JSON.stringify({ version: 2 })
    expect(await ask('PUT', '/api/v1/models/m/aliases/champion', `rebound.evil.example:${port}`, move)).toBe(
      403,
    )
    expect(
      await ask('GET', '/api/v1/artifacts/sha256:' + '0'.repeat(64), `rebound.evil.example:${port}`),
    ).toBe(403)
    expect(await ask('GET', '/api/v1/model-versions', `localhost:${port}`)).toBe(200)
    expect(await ask('GET', '/api/v1/model-versions', `[::1]:${port}`)).toBe(200)
    // Health and inference answer under any name (a load balancer's, a pod's address).
    expect(await ask('GET', '/healthz', `10.1.2.3:${port}`)).toBe(200)
    expect(await state(s)).toEqual(before)
  })

  it('sends no CORS headers when api.cors_origins is empty', async () => {
    const preflight = await fetch(`${s.url}/api/v1/models/m/aliases/champion`, {
      method: 'OPTIONS',
      headers: { origin: 'https://dash.example', 'access-control-request-method': 'PUT' },
    })
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('configured hosts and CORS origins', () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured({ allowedHosts: ['sluice.internal'], corsOrigins: ['https://dash.example'] })
  })
  afterAll(() => s.close())

  it('answers under a configured host name, and lets a configured origin in after its preflight', async () => {
    const port = new URL(s.url).port
    const status = await new Promise<number>((resolve) => {
      http.get(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v1/model-versions',
          headers: { host: `sluice.internal:${port}` },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode!)
        },
      )
    })
    expect(status).toBe(200)
    const preflight = await fetch(`${s.url}/api/v1/models/m/aliases/champion`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://dash.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization, content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://dash.example')
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/)
    const put = await fetch(`${s.url}/api/v1/models/m/aliases/champion`, {
      method: 'PUT',
      headers: { origin: 'https://dash.example', 'content-type': 'application/json' },
      body: JSON.stringify({ version: 1 }),
    })
    expect(put.status).toBe(200)
    expect(put.headers.get('access-control-allow-origin')).toBe('https://dash.example')
    const other = await fetch(`${s.url}/api/v1/models/m/aliases/champion`, {
      method: 'PUT',
      headers: { origin: 'https://other.example', 'content-type': 'application/json' },
      body: JSON.stringify({ version: 2 }),
    })
    expect(other.status).toBe(403)
  })
})

describe('tokens', () => {
  let s: Secured
  let admin: string
  let writer: string
  let reader: string
  beforeAll(async () => {
    s = await startSecured()
    admin = await s.token('root', 'admin')
    writer = await s.token('ci', 'write')
    reader = await s.token('dashboard', 'read')
  })
  afterAll(() => s.close())

  const moveChampion = (headers: Record<string, string>, query = '') =>
    fetch(`${s.url}/api/v1/models/m/aliases/champion${query}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ version: 2 }),
    })
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` })
  const error = async (r: Response) =>
    ((await r.json()) as { error: { code: string; message: string } }).error

  it('once one exists, refuses a request with no token, a wrong one, or one of a weaker scope; nothing changes', async () => {
    const before = await state(s)
    const none = await moveChampion({})
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="sluice"')
    expect((await error(none)).code).toBe('UNAUTHENTICATED')
    const wrong = await moveChampion(bearer(newSecret().token))
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
    expect(
      (await moveChampion({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })).status,
    ).toBe(401)
    const weak = await moveChampion(bearer(reader))
    expect(weak.status).toBe(403)
    expect(weak.headers.get('www-authenticate')).toMatch(/error="insufficient_scope", scope="write"/)
    expect((await error(weak)).message).toBe(
      'token "dashboard" has scope read; this request needs write (or a higher scope)',
    )
    // Reads too need a token now; health does not.
    expect((await fetch(`${s.url}/api/v1/model-versions`)).status).toBe(401)
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${s.url}/v2/health/ready`)).status).toBe(200)
    expect(await state(s)).toEqual(before)
    expect((await moveChampion(bearer(writer))).status).toBe(200)
  })

  it('ignores a valid token in the query string and answers 401', async () => {
    const before = await state(s)
    for (const query of [`?access_token=${admin}`, `?token=${admin}`, `?key=${admin}`]) {
      const r = await moveChampion({}, query)
      expect(r.status, query).toBe(401)
      expect((await error(r)).message).toMatch(/^a token in the URL is not read/)
      expect((await fetch(`${s.url}/api/v1/model-versions${query}`)).status).toBe(401)
    }
    expect(await state(s)).toEqual(before)
  })

  it('refuses an expired token and a revoked one', async () => {
    const brief = await s.token('brief', 'write', '1s')
    expect((await fetch(`${s.url}/api/v1/model-versions`, { headers: bearer(brief) })).status).toBe(200)
    await new Promise((r) => setTimeout(r, 1100))
    const expired = await fetch(`${s.url}/api/v1/model-versions`, { headers: bearer(brief) })
    expect(expired.status).toBe(401)
    expect((await error(expired)).message).toMatch(/^token "brief" expired at /)

    const leaked = await s.token('leaked', 'write')
    expect((await fetch(`${s.url}/api/v1/model-versions`, { headers: bearer(leaked) })).status).toBe(200)
    const revoke = await fetch(`${s.url}/api/v1/tokens/leaked`, { method: 'DELETE', headers: bearer(admin) })
    expect(revoke.status).toBe(200)
    expect(await revoke.json()).toMatchObject({
      schema: 'sluice.token/v1',
      name: 'leaked',
      status: 'revoked',
    })
    const revoked = await fetch(`${s.url}/api/v1/model-versions`, { headers: bearer(leaked) })
    expect(revoked.status).toBe(401)
    expect((await error(revoked)).message).toMatch(/^token "leaked" was revoked at /)
  })

  it('refuses to revoke the last admin token, over the API too', async () => {
    const r = await fetch(`${s.url}/api/v1/tokens/root`, { method: 'DELETE', headers: bearer(admin) })
    expect(r.status).toBe(409)
    expect((await error(r)).message).toMatch(/^"root" is the last admin token that can be used/)
    expect((await fetch(`${s.url}/api/v1/tokens`, { headers: bearer(admin) })).status).toBe(200)
  })

  it('creates tokens over the API for an admin only, showing the secret once and never again', async () => {
    const create = (headers: Record<string, string>) =>
      fetch(`${s.url}/api/v1/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ name: 'deployer', scope: 'deploy', expires: '90d' }),
      })
    expect((await create(bearer(writer))).status).toBe(403)
    const r = await create(bearer(admin))
    expect(r.status).toBe(201)
    const doc = (await r.json()) as { token: string; created_by: string; expires_at: string }
    expect(doc.created_by).toBe('token:root')
    const list = await (await fetch(`${s.url}/api/v1/tokens`, { headers: bearer(admin) })).text()
    expect(list).toContain('"deployer"')
    expect(list).not.toContain(doc.token)
    expect(list).not.toContain(doc.token.slice(12))
    // Usable at once, by this server.
    const deployed = await fetch(`${s.url}/api/v1/deployments/d`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...bearer(doc.token) },
      body: JSON.stringify({ model: 'm@1' }),
    })
    expect(deployed.status).toBe(200)
  })
})

describe('10,000 wrong tokens in a row', () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured({ servingAuth: 'token' })
    await s.token('root', 'admin')
  })
  afterAll(() => s.close())

  it('are each refused, counted in /metrics and logged without the token; the server still answers a valid one', async () => {
    const admin = await s.token('second', 'admin')
    const sent: string[] = []
    const worker = async (w: number) => {
      for (let i = 0; i < 250; i++) {
        const wrong = newSecret().token
        sent.push(wrong)
        // Half on the REST API, half on inference (the fast path).
        const route = (w + i) % 2 ? '/api/v1/model-versions' : '/v2/models/d/infer'
        const r = await fetch(`${s.url}${route}`, {
          method: route.startsWith('/v2') ? 'POST' : 'GET',
          headers: { authorization: `Bearer ${wrong}`, 'content-type': 'application/json' },
          ...(route.startsWith('/v2') && { body: '{}' }),
        })
        await r.arrayBuffer()
        expect(r.status).toBe(401)
      }
    }
    await Promise.all(Array.from({ length: 40 }, (_, w) => worker(w)))
    expect(sent).toHaveLength(10_000)
    const metrics = await (
      await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })
    ).text()
    expect(metrics).toContain('sluice_auth_failures_total{reason="unknown"} 10000')
    const refused = s.logs.filter((e) => e.msg === 'request refused')
    expect(refused).toHaveLength(10_000)
    expect(refused[0]).toMatchObject({ level: 'warn', reason: 'unknown', status: 401, remote: '127.0.0.1' })
    const logged = JSON.stringify(s.logs)
    expect(logged).not.toContain('slc_')
    for (const t of sent.slice(0, 100)) expect(logged).not.toContain(t.slice(12, 30))
    const ok = await fetch(`${s.url}/api/v1/model-versions`, {
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(ok.status).toBe(200)
  })

  it('on inference (serving.auth: token): no token, a token in the query and a wrong token are 401 in the protocol’s shape; any valid token infers', async () => {
    const infer = (headers: Record<string, string>, query = '') =>
      fetch(`${s.url}/v2/models/d/infer${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ inputs: [{ name: 'distance', shape: [1, 1], datatype: 'FP32', data: [5] }] }),
      })
    const client = await s.token('app', 'infer')
    const none = await infer({})
    expect(none.status).toBe(401)
    expect(await none.json()).toEqual({ error: expect.stringMatching(/^this server requires an API token/) })
    expect((await infer({}, `?access_token=${client}`)).status).toBe(401)
    expect((await infer({ authorization: `Bearer ${newSecret().token}` })).status).toBe(401)
    expect((await infer({ authorization: `Bearer ${client}` })).status).toBe(200)
    // An infer token reads nothing else.
    expect(
      (await fetch(`${s.url}/api/v1/model-versions`, { headers: { authorization: `Bearer ${client}` } }))
        .status,
    ).toBe(403)
  })
})

describe('inference with serving.auth: none', () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured({ servingAuth: 'none' })
    await s.token('root', 'admin')
  })
  afterAll(() => s.close())

  it('answers anyone, while the REST API and /metrics need a token', async () => {
    const r = await fetch(`${s.url}/v1/deployments/d/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ distance: 5 }] }),
    })
    expect(r.status).toBe(200)
    expect((await fetch(`${s.url}/v2/models/d`)).status).toBe(200)
    expect((await fetch(`${s.url}/api/v1/deployments`)).status).toBe(401)
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401)
  })
})

describe('REST limits', () => {
  let s: Secured
  beforeAll(async () => {
    s = await startSecured({ maxUploads: 1 }, { json: 2 ** 20, upload: 2 ** 30, jsonTimeoutMs: 300 })
  })
  afterAll(() => s.close())

  /** Opens a request, writes its head and `first`, and returns it still open with its coming answer. */
  function opened(method: string, route: string, headers: Record<string, string>, first: string) {
    const url = new URL(s.url)
    let answered: (a: { status: number; body: string }) => void = () => {}
    const answer = new Promise<{ status: number; body: string }>((resolve) => {
      answered = resolve
    })
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: route, headers, agent: false },
      (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => answered({ status: res.statusCode!, body }))
      },
    )
    req.on('error', () => {})
    req.write(first)
    return { req, answer }
  }

  it('takes server.max_uploads uploads at once and answers the next 503 with Retry-After', async () => {
    const bytes = { 'content-type': 'application/octet-stream' }
    const slow = opened(
      'POST',
      '/api/v1/artifacts',
      { ...bytes, 'transfer-encoding': 'chunked' },
      'first part ',
    )
    await new Promise((r) => setTimeout(r, 100))
    const busy = await fetch(`${s.url}/api/v1/artifacts`, { method: 'POST', headers: bytes, body: 'other' })
    expect(busy.status).toBe(503)
    expect(busy.headers.get('retry-after')).toBe('1')
    expect(await busy.json()).toEqual({
      error: {
        code: 'OVERLOADED',
        message: 'the server is taking 1 uploads already (server.max_uploads); try again shortly',
      },
    })
    slow.req.end('last part')
    expect((await slow.answer).status).toBe(201)
    const after = await fetch(`${s.url}/api/v1/artifacts`, { method: 'POST', headers: bytes, body: 'other' })
    expect(after.status).toBe(201)
  })

  it('answers a JSON body that has not arrived within server.body_timeout 408', async () => {
    const before = await state(s)
    const drip = opened(
      'PUT',
      '/api/v1/models/m/aliases/champion',
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      '{"version":',
    )
    const timer = setInterval(() => drip.req.write(' '), 100)
    try {
      const answer = await drip.answer
      expect(answer.status).toBe(408)
      expect(JSON.parse(answer.body).error).toEqual({
        code: 'REQUEST_TIMEOUT',
        message:
          'the request body did not arrive within 0.3 s (server.body_timeout in sluice.yaml); send it faster, or raise the limit',
      })
    } finally {
      clearInterval(timer)
      drip.req.destroy()
    }
    expect(await state(s)).toEqual(before)
  })

  it('refuses an x-request-id a header cannot echo, as the model server does', async () => {
    const long = await fetch(`${s.url}/api/v1/model-versions`, {
      headers: { 'x-request-id': 'x'.repeat(300) },
    })
    expect(long.status).toBe(400)
    expect((await long.json()) as unknown).toEqual({
      error: {
        code: 'INVALID_INPUT',
        message: `header x-request-id "${'x'.repeat(40)}…" is 300 characters long; a request id has at most 256`,
      },
    })
    expect(long.headers.get('x-request-id')).toMatch(/^req_/)
    const ok = await fetch(`${s.url}/api/v1/model-versions`, { headers: { 'x-request-id': 'trace-7' } })
    expect(ok.headers.get('x-request-id')).toBe('trace-7')
  })
})
