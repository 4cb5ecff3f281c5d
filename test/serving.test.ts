import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/api/app.js'
import { listen, type RunningServer } from '../src/api/server.js'
import { loadConfig } from '../src/core/config.js'
import { frameFromColumns } from '../src/data/build.js'
import { OnnxModel } from '../src/models/runtime.js'
import { train } from '../src/models/train.js'
import { LocalRegistry } from '../src/registry/local.js'
import { deploy } from '../src/serving/deploy.js'
import { OFF_THREAD_MS } from '../src/serving/infer.js'
import { shortestFloat32 } from '../src/serving/protocol/outputs.js'
import { type Serving, startServing } from '../src/serving/server.js'
import { tempDir } from './support/cli.js'
import { fixedBatchModel, slowModel } from './support/onnx-models.js'

const run = promisify(execFile)

let home: string
let registry: LocalRegistry
let serving: Serving
let server: RunningServer
const logs: Record<string, unknown>[] = []

/** A logistic model on distance (number) and origin (string); `shift` makes a second, different version. */
function model(shift: number): Uint8Array {
  const n = 400
  const distance = Array.from({ length: n }, (_, i) => (i * 37) % 1000)
  const origin = Array.from({ length: n }, (_, i) => ['SFO', 'JFK', 'ORD'][i % 3]!)
  const delayed = distance.map((d, i) => (d + shift + (origin[i] === 'ORD' ? 300 : 0) > 600 ? 1 : 0))
  return train(frameFromColumns({ distance, origin, delayed }), {
    algo: 'logistic',
    target: 'delayed',
    features: ['distance', 'origin'],
    seed: 1,
    params: {},
  }).onnx
}

async function register(bytes: Uint8Array | string, file: string, name = 'delay') {
  const p = path.join(home, file)
  writeFileSync(p, bytes)
  return registry.registerModelVersion({
    name,
    artifact: await registry.storeArtifact(p),
    flavor: 'onnx',
  })
}

beforeAll(async () => {
  home = tempDir('sluice-serving-')
  registry = await LocalRegistry.open(loadConfig({ cwd: home, env: {} }))
  await register(model(0), 'v1.onnx')
  await register(model(250), 'v2.onnx')
  await deploy(registry, 'delay@1', 'flights')
  serving = await startServing({
    registry,
    dir: path.join(home, 'serving'),
    pollMs: 100,
    log: (e) => logs.push(e),
  })
  server = await listen(
    createApp({
      registry,
      tmpDir: path.join(home, 'tmp'),
      modules: [{ prefix: '/', routes: serving.routes }],
      log: () => {},
    }),
    '127.0.0.1',
    0,
    serving.fastPath,
  )
})
afterAll(async () => {
  await server?.close()
  await serving?.close()
  await registry?.close()
})

const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

const request = (distance: number[], origin: string[], extra: Record<string, unknown> = {}) => ({
  inputs: [
    { name: 'distance', shape: [distance.length, 1], datatype: 'FP32', data: distance },
    { name: 'origin', shape: [origin.length, 1], datatype: 'BYTES', data: origin },
  ],
  ...extra,
})

describe('Open Inference Protocol v2', () => {
  it('answers health, server and model metadata, and readiness', async () => {
    const get = async (route: string) => {
      const r = await fetch(`${server.url}${route}`)
      return { status: r.status, body: (await r.json()) as Record<string, unknown> }
    }
    expect(await get('/v2/health/live')).toEqual({ status: 200, body: { live: true } })
    expect(await get('/v2/health/ready')).toEqual({ status: 200, body: { ready: true } })
    expect((await get('/v2')).body).toMatchObject({ name: 'sluice' })
    const meta = await get('/v2/models/flights')
    expect(meta.body).toMatchObject({ name: 'flights', versions: ['1'] })
    expect(meta.body.inputs).toEqual([
      { name: 'distance', datatype: 'FP32', shape: [-1, 1] },
      { name: 'origin', datatype: 'BYTES', shape: [-1, 1] },
    ])
    expect(await get('/v2/models/flights/versions/1/ready')).toEqual({
      status: 200,
      body: { name: 'flights', ready: true },
    })
    const unknown = await get('/v2/models/trains/ready')
    expect(unknown.status).toBe(404)
    expect(unknown.body.error).toBe('unknown deployment "trains"; deployments: flights')
    expect((await get('/v2/models/flights/versions/7')).status).toBe(404)
  })

  it('infers: probabilities and labels, the id echoed, the version and request id in body and headers', async () => {
    const r = await post('/v2/models/flights/infer', request([100, 900], ['SFO', 'ORD'], { id: 'abc-1' }))
    expect(r.status).toBe(200)
    expect(r.headers.get('x-model-version')).toBe('1')
    expect(r.headers.get('x-request-id')).toBe('abc-1')
    const body = (await r.json()) as {
      model_name: string
      model_version: string
      id: string
      outputs: { name: string; datatype: string; shape: number[]; data: number[] }[]
    }
    expect(body).toMatchObject({ model_name: 'flights', model_version: '1', id: 'abc-1' })
    const probs = body.outputs.find((o) => o.name === 'probabilities')!
    expect(probs).toMatchObject({ datatype: 'FP32', shape: [2, 2] })
    expect(probs.data[1]!).toBeLessThan(0.5) // 100 miles from SFO: on time
    expect(probs.data[3]!).toBeGreaterThan(0.5) // 900 from ORD: delayed
    expect(body.outputs.find((o) => o.name === 'label')).toMatchObject({ datatype: 'INT64', data: [0, 1] })
    // Only the outputs asked for; nested data is the same as flat.
    const only = await post(
      '/v2/models/flights/versions/1/infer',
      request([100, 900], ['SFO', 'ORD'], { outputs: [{ name: 'label' }] }),
      { 'x-request-id': 'from-header' },
    )
    const onlyBody = (await only.json()) as { id: string; outputs: { name: string }[] }
    expect(onlyBody.outputs.map((o) => o.name)).toEqual(['label'])
    expect(onlyBody.id).toBe('from-header')
  })

  it('refuses bad requests with the protocol’s {"error"} and a status that says why', async () => {
    const cases: [unknown, number, RegExp][] = [
      ['{"inputs": [', 400, /JSON/i],
      [{ inputs: [request([1], ['SFO']).inputs[0]] }, 400, /origin/],
      [
        {
          inputs: [
            { name: 'distance', shape: [1, 1], datatype: 'FP64', data: ['far'] },
            request([1], ['SFO']).inputs[1],
          ],
        },
        400,
        /distance/,
      ],
      [
        {
          inputs: [
            { name: 'distance', shape: [2, 1], datatype: 'FP32', data: [1, 2, 3] },
            request([1], ['SFO']).inputs[1],
          ],
        },
        400,
        /shape|3/,
      ],
      // The id is echoed in the x-request-id header, where a newline cannot go.
      [request([1], ['SFO'], { id: 'a\nb' }), 400, /x-request-id/],
    ]
    for (const [body, status, message] of cases) {
      const r = await post('/v2/models/flights/infer', body)
      expect(r.status).toBe(status)
      const doc = (await r.json()) as { error: string }
      expect(Object.keys(doc)).toEqual(['error'])
      expect(doc.error).toMatch(message)
    }
    const big = await post(
      '/v2/models/flights/infer',
      JSON.stringify(request(new Array(1_200_000).fill(1), new Array(1_200_000).fill('SFO'))),
    )
    expect(big.status).toBe(413)
    expect(((await big.json()) as { error: string }).error).toMatch(/larger than/)
    // Streamed without a content-length: refused once the bytes read pass the limit.
    const chunk = new TextEncoder().encode(' '.repeat(1 << 20))
    let sent = 0
    const streamed = await fetch(`${server.url}/v2/models/flights/infer`, {
      method: 'POST',
      body: new ReadableStream({
        pull(c) {
          if (sent++ < 10) c.enqueue(chunk)
          else c.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(streamed.status).toBe(413)
  })

  it('answers a client that closes its sending side right after its request', async () => {
    const body = JSON.stringify(request([1], ['SFO']))
    const { port } = new URL(server.url)
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.end(
          `POST /v2/models/flights/infer HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        ),
      )
      let text = ''
      socket.on('data', (d) => (text += d))
      socket.on('close', () => resolve(text))
      socket.on('error', reject)
    })
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).outputs).toHaveLength(2)
  })

  it('a client that keeps sending an oversized body still gets its 413', async () => {
    // The client is another process, as in life: in this one it would read the reply in the same
    // event loop that writes it, before a reset could be seen.
    const client = (chunked: boolean) => `
      const body = 'x'.repeat(9 << 20)
      const s = require('node:net').connect(${new URL(server.url).port}, '127.0.0.1', () => {
        s.write('POST /v2/models/flights/infer HTTP/1.1\\r\\nhost: x\\r\\n' +
          (${chunked} ? 'transfer-encoding: chunked\\r\\n\\r\\n' + body.length.toString(16) + '\\r\\n' + body + '\\r\\n0\\r\\n\\r\\n'
                      : 'content-length: ' + body.length + '\\r\\n\\r\\n' + body))
      })
      let text = ''
      s.on('data', (d) => { text += d; if (/\\r\\n\\r\\n\\{.*\\}$/s.test(text)) { console.log(text); process.exit(0) } })
      s.on('error', (e) => { console.log('lost: ' + e.code + ' after ' + JSON.stringify(text)); process.exit(0) })`
    for (const chunked of [false, true]) {
      const { stdout } = await run(process.execPath, ['-e', client(chunked)])
      expect(stdout).toMatch(/^HTTP\/1\.1 413 /)
      expect(stdout).toContain('request body is larger than')
    }
  })

  it('logs every inference request with its id, path, status and duration', async () => {
    logs.length = 0
    await post('/v2/models/flights/infer', request([1], ['SFO']), { 'x-request-id': 'logged-1' })
    await post('/v2/models/nope/infer', request([1], ['SFO']), { 'x-request-id': 'logged-2' })
    expect(logs.filter((e) => e.msg === 'request')).toEqual([
      expect.objectContaining({ request_id: 'logged-1', path: '/v2/models/flights/infer', status: 200 }),
      expect.objectContaining({ request_id: 'logged-2', path: '/v2/models/nope/infer', status: 404 }),
    ])
    expect(typeof logs[0]!.duration_ms).toBe('number')
  })

  it('serves the plain endpoint with field-level errors', async () => {
    const ok = await post('/v1/deployments/flights/predict', {
      instances: [{ distance: 900, origin: 'ORD' }],
    })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('x-model-version')).toBe('1')
    const body = (await ok.json()) as { predictions: Record<string, unknown>[]; model_version: string }
    expect(body.model_version).toBe('1')
    expect(body.predictions).toHaveLength(1)
    const missing = await post('/v1/deployments/flights/predict', { instances: [{ origin: 'ORD' }] })
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as { error: string }).error).toContain('distance')
  })

  it('hot-swaps to a new version without failing a request, and counts requests in /metrics', async () => {
    let stop = false
    const seen = new Set<string>()
    const failures: number[] = []
    const load = (async () => {
      while (!stop) {
        const r = await post('/v2/models/flights/infer', request([500], ['JFK']))
        if (r.status !== 200) failures.push(r.status)
        seen.add(r.headers.get('x-model-version') ?? '?')
        await r.arrayBuffer()
      }
    })()
    await new Promise((r) => setTimeout(r, 200))
    await deploy(registry, 'delay@2', 'flights')
    const t0 = Date.now()
    while (!seen.has('2') && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20))
    stop = true
    await load
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(failures).toEqual([])
    expect([...seen].sort()).toEqual(['1', '2'])
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(
      /sluice_inference_requests_total\{deployment="flights",version="2",code="200"\} [1-9]/,
    )
    expect(metrics).toContain('sluice_inference_latency_seconds_bucket')
    // Every answered request went to the prediction stream.
    expect(serving.stream.pushed).toBeGreaterThan(5)
  })

  it('refuses to deploy a model that does not load, and keeps the version it had', async () => {
    await register('not an onnx file', 'bad.onnx')
    await expect(deploy(registry, 'delay@3', 'flights')).rejects.toThrow(
      /delay@3 cannot be deployed: it does not load .*; deployment "flights" is unchanged/,
    )
    expect((await registry.store.deployments.getDeployment('flights'))!.version).toBe(2)
  })

  it('micro-batches concurrent requests when the deployment asks, with the same answers as one by one', async () => {
    await deploy(registry, 'delay@2', 'batched', { batching: { max_rows: 64, max_wait_ms: 20 } })
    await serving.table.refresh()
    const bodies = Array.from({ length: 24 }, (_, i) =>
      request([i * 40, 1000 - i * 40], [i % 2 ? 'ORD' : 'SFO', 'JFK']),
    )
    const ask = (deployment: string) =>
      Promise.all(
        bodies.map(async (b) => {
          const r = await post(`/v2/models/${deployment}/infer`, b)
          expect(r.status).toBe(200)
          return ((await r.json()) as { outputs: { name: string; data: number[] }[] }).outputs
        }),
      )
    const batched = await ask('batched')
    const single = await ask('flights')
    expect(batched).toEqual(single)
    const d = serving.table.get('batched')!
    const { stats } = d.batchers.get(d.current!)!
    expect(stats.requests).toBe(24)
    expect(stats.calls).toBeLessThan(24)
    expect((await registry.store.deployments.getDeployment('batched'))!.batching).toEqual({
      max_rows: 64,
      max_wait_ms: 20,
    })
  })

  it('runs a slow model on worker threads: the server answers other requests while it computes', async () => {
    const v = await register(slowModel(), 'slow.onnx', 'slow')
    await deploy(registry, `slow@${v.version}`, 'slow')
    await serving.table.refresh()
    const loaded = serving.table.get('slow')!.current!
    const rows = Array.from({ length: 4000 }, (_, i) => (i % 100) / 10)
    // A call this size is expected to take longer than the on-thread bound.
    expect(loaded.cost.fixedMs + loaded.cost.perRowMs * rows.length).toBeGreaterThan(OFF_THREAD_MS)

    const finished: string[] = []
    const inference = post('/v2/models/slow/infer', {
      inputs: [{ name: 'x', shape: [rows.length, 1], datatype: 'FP32', data: rows }],
    }).then(async (r) => {
      finished.push('infer')
      return r
    })
    await new Promise((r) => setTimeout(r, 30))
    const live = await fetch(`${server.url}/v2/health/live`)
    finished.push('live')
    expect(live.status).toBe(200)
    const r = await inference
    // On this thread the call would hold the event loop until it ended; on a worker it does not.
    expect(finished).toEqual(['live', 'infer'])
    expect(r.status).toBe(200)
    const out = ((await r.json()) as { outputs: { shape: number[]; data: number[] }[] }).outputs[0]!
    expect(out.shape).toEqual([rows.length, 1])
    // The same numbers as the model run here, on this thread.
    const here = await OnnxModel.load(slowModel())
    const expected = await here.runTensors({
      x: { type: 'float32', dims: [rows.length, 1], data: Float32Array.from(rows) },
    })
    await here.close()
    expect(out.data).toEqual(Array.from(expected.y!.data as Float32Array, shortestFloat32))
  })

  it('refuses micro-batching for a model whose batch size is fixed, and deploys it without', async () => {
    const v = await register(fixedBatchModel(), 'fixed.onnx', 'fixed')
    await expect(
      deploy(registry, `fixed@${v.version}`, 'fixed', { batching: { max_rows: 8, max_wait_ms: 2 } }),
    ).rejects.toThrow(/cannot be micro-batched: its input "x" has a fixed batch size \(shape \[1, 1\]\)/)
    expect(await registry.store.deployments.getDeployment('fixed')).toBeNull()
    await deploy(registry, `fixed@${v.version}`, 'fixed')
    await serving.table.refresh()
    const r = await post('/v2/models/fixed/infer', {
      inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [2.5] }],
    })
    expect(((await r.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual([2.5])
  })
})
