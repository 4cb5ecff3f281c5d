import { execFile, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import { deflateSync, gzipSync } from 'node:zlib'
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
import { binaryRequest, type Input, readBinaryResponse } from './support/binary-request.js'
import { BIN, tempDir } from './support/cli.js'
import { echoModel, fixedBatchModel, slowModel } from './support/onnx-models.js'

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
      modules: [{ prefix: '/', routes: serving.routes, access: serving.access }],
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

describe('Open Inference Protocol clients: recorded requests', () => {
  beforeAll(async () => {
    const v = await register(echoModel(), 'echo.onnx', 'echo')
    await deploy(registry, `echo@${v.version}`, 'echo')
    await deploy(registry, 'delay@1', 'batched-binary', { batching: { max_rows: 64, max_wait_ms: 2 } })
    await serving.table.refresh()
  })

  const send = (route: string, body: Uint8Array | string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${route}`, { method: 'POST', headers, body })
  const binary = async (r: Response) => {
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/octet-stream')
    const headerLength = Number(r.headers.get('inference-header-content-length'))
    return readBinaryResponse(new Uint8Array(await r.arrayBuffer()), headerLength)
  }
  type Outputs = { outputs: { name: string; data: number[] }[] }
  const jsonOutputs = async (r: Response) => {
    expect(r.status).toBe(200)
    return Object.fromEntries(((await r.json()) as Outputs).outputs.map((o) => [o.name, o.data]))
  }
  const distance = (values: number[]): Input => ({
    name: 'distance',
    shape: [values.length, 1],
    datatype: 'FP32',
    binary: values,
  })
  const origin = (values: string[]): Input => ({
    name: 'origin',
    shape: [values.length, 1],
    datatype: 'BYTES',
    binary: values,
  })

  it('binary FP32 and BYTES inputs as tritonclient sends them, with every output in binary', async () => {
    // tritonclient names no outputs and sets binary_data_output; it sends no content-type.
    const recorded = binaryRequest([distance([100, 900]), origin(['SFO', 'ORD'])], {
      id: 'triton-1',
      parameters: { binary_data_output: true },
    })
    const r = await send('/v2/models/flights/infer', recorded.body, {
      'Inference-Header-Content-Length': String(recorded.headerLength),
    })
    expect(r.headers.get('x-request-id')).toBe('triton-1')
    const { json, values } = await binary(r)
    expect(json).toMatchObject({ model_name: 'flights', id: 'triton-1' })
    expect(json.outputs).toEqual([
      { name: 'label', shape: [2], datatype: 'INT64', parameters: { binary_data_size: 16 } },
      { name: 'probabilities', shape: [2, 2], datatype: 'FP32', parameters: { binary_data_size: 16 } },
    ])
    // The same answer as the JSON request: the exact float32 values behind its shortest decimals.
    const same = await jsonOutputs(
      await post('/v2/models/flights/infer', request([100, 900], ['SFO', 'ORD'])),
    )
    expect(values.label).toEqual(same.label!.map(BigInt))
    expect(values.probabilities).toEqual(same.probabilities!.map(Math.fround))
    // Micro-batched, and compressed: the same again.
    const batched = await send('/v2/models/batched-binary/infer', recorded.body, recorded.headers)
    const batchedJson = await jsonOutputs(
      await post('/v2/models/batched-binary/infer', request([100, 900], ['SFO', 'ORD'])),
    )
    expect((await binary(batched)).values.probabilities).toEqual(batchedJson.probabilities!.map(Math.fround))
    const gzipped = await send('/v2/models/flights/infer', gzipSync(recorded.body), {
      'Inference-Header-Content-Length': String(recorded.headerLength),
      'content-encoding': 'gzip',
    })
    expect((await binary(gzipped)).values).toEqual(values)
  })

  it("binary outputs asked per output (KServe's client), the others in JSON; a mix of JSON and binary inputs", async () => {
    const recorded = binaryRequest(
      [{ name: 'distance', shape: [1, 1], datatype: 'FP32', data: [900] }, origin(['ORD'])],
      { outputs: [{ name: 'label' }, { name: 'probabilities', parameters: { binary_data: true } }] },
    )
    const r = await send('/v2/models/flights/infer', recorded.body, recorded.headers)
    const { json, values } = await binary(r)
    expect(json.outputs.map((o) => [o.name, o.data ?? o.parameters])).toEqual([
      ['label', [1]],
      ['probabilities', { binary_data_size: 8 }],
    ])
    expect((values.probabilities![1] as number) > 0.5).toBe(true)
  })

  it('BOOL, INT64, BYTES and FP32 tensors, in and out, in binary', async () => {
    const recorded = binaryRequest(
      [
        { name: 'x', shape: [2, 1], datatype: 'FP32', binary: [0.5, Number.NaN] },
        { name: 'flag', shape: [2, 1], datatype: 'BOOL', binary: [true, false] },
        { name: 'count', shape: [2, 1], datatype: 'INT64', binary: [2n ** 60n + 1n, -1n] },
        { name: 'tag', shape: [2, 1], datatype: 'BYTES', binary: ['é', ''] },
      ],
      { parameters: { binary_data_output: true } },
    )
    const { values } = await binary(await send('/v2/models/echo/infer', recorded.body, recorded.headers))
    expect(values).toEqual({
      x_out: [0.5, Number.NaN],
      flag_out: [true, false],
      count_out: [2n ** 60n + 1n, -1n],
      tag_out: ['é', ''],
    })
  })

  it('refuses a wrong binary_data_size naming the input and the sizes, and a header past the body', async () => {
    const recorded = binaryRequest([distance([100]), origin(['SFO'])])
    const text = new TextDecoder().decode(recorded.body.subarray(0, recorded.headerLength))
    const wrong = text.replace('"binary_data_size":4', '"binary_data_size":8')
    const body = new Uint8Array([
      ...new TextEncoder().encode(wrong),
      ...recorded.body.subarray(recorded.headerLength),
    ])
    const r = await send('/v2/models/flights/infer', body, {
      'inference-header-content-length': String(wrong.length),
    })
    expect(r.status).toBe(400)
    expect(await r.json()).toEqual({
      error: 'input "distance": parameters.binary_data_size is 8, but shape [1, 1] of FP32 takes 4 bytes',
    })
    const past = await send('/v2/models/flights/infer', recorded.body, {
      'inference-header-content-length': String(recorded.body.length + 10),
    })
    expect(past.status).toBe(400)
    expect(await past.json()).toEqual({
      error: `header Inference-Header-Content-Length is ${recorded.body.length + 10}, but the body has ${recorded.body.length} bytes; it gives the length of the JSON at the start of the body`,
    })
  })

  it('reads NaN and Infinity tokens in JSON data as those numbers', async () => {
    const body = JSON.stringify(request([0, 0], ['SFO', 'ORD'])).replace(
      '"data":[0,0]',
      '"data":[NaN,Infinity]',
    )
    const tokens = await jsonOutputs(await post('/v2/models/flights/infer', body))
    // NaN is the missing value, as null is; the models treat Infinity as missing too.
    const nulls = await jsonOutputs(
      await post(
        '/v2/models/flights/infer',
        JSON.stringify(request([0, 0], ['SFO', 'ORD'])).replace('"data":[0,0]', '"data":[null,null]'),
      ),
    )
    expect(tokens).toEqual(nulls)
  })

  it("rounds FP64 data (numpy's default) for an FP32 input to nearest: 0.3, in JSON and in binary", async () => {
    const inputs = (x: Omit<Input, 'name' | 'shape'>): Input[] => [
      { name: 'x', shape: [1, 1], ...x },
      { name: 'flag', shape: [1, 1], datatype: 'BOOL', data: [true] },
      { name: 'count', shape: [1, 1], datatype: 'INT64', data: [1] },
      { name: 'tag', shape: [1, 1], datatype: 'BYTES', data: ['a'] },
    ]
    const asJson = await post('/v2/models/echo/infer', { inputs: inputs({ datatype: 'FP64', data: [0.3] }) })
    expect((await jsonOutputs(asJson)).x_out).toEqual([0.3])
    const recorded = binaryRequest(inputs({ datatype: 'FP64', binary: [0.3] }), {
      outputs: [{ name: 'x_out', parameters: { binary_data: true } }],
    })
    const { values } = await binary(await send('/v2/models/echo/infer', recorded.body, recorded.headers))
    expect(values.x_out).toEqual([Math.fround(0.3)])
  })

  it("with serving.strict_datatypes: true, `sluice serve` refuses any datatype other than the model's, naming both", async () => {
    writeFileSync(path.join(home, 'sluice.yaml'), 'serving:\n  strict_datatypes: true\n')
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json'], { cwd: home })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (b: Buffer) => resolve(JSON.parse(b.toString()).url))
        child.on('exit', (code) => reject(new Error(`sluice serve exited ${code}`)))
      })
      const ask = (datatype: string) =>
        fetch(`${url}/v2/models/flights/infer`, {
          method: 'POST',
          body: JSON.stringify({
            inputs: [
              { name: 'distance', shape: [1, 1], datatype, data: [0.3] },
              { name: 'origin', shape: [1, 1], datatype: 'BYTES', data: ['SFO'] },
            ],
          }),
        })
      const refused = await ask('FP64')
      expect(refused.status).toBe(400)
      expect(await refused.json()).toEqual({
        error:
          'input "distance": the request declares FP64, but the model\'s input is FP32; serving.strict_datatypes refuses any difference, so send FP32 data',
      })
      expect((await ask('FP32')).status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
  })

  it("answers unknown /v2 paths in the protocol's error shape, and GET /v2/ as GET /v2", async () => {
    for (const [method, route] of [
      ['GET', '/v2/models/flights/versions/1/foo'],
      ['POST', '/v2/bogus'],
    ]) {
      const r = await fetch(`${server.url}${route}`, { method })
      expect(r.status).toBe(404)
      const doc = (await r.json()) as { error: unknown }
      expect(typeof doc.error).toBe('string')
    }
    const root = await fetch(`${server.url}/v2/`)
    expect(root.status).toBe(200)
    expect(await root.json()).toMatchObject({ name: 'sluice', extensions: ['binary_tensor_data'] })
  })

  it('decodes gzip and deflate bodies; a gzip bomb is a 413 with the limit', async () => {
    const text = JSON.stringify(request([900], ['ORD']))
    const plain = await jsonOutputs(await post('/v2/models/flights/infer', text))
    for (const [encoding, encode] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
    ] as const) {
      const r = await send('/v2/models/flights/infer', encode(text), { 'content-encoding': encoding })
      expect(await jsonOutputs(r)).toEqual(plain)
    }
    const bomb = gzipSync(Buffer.alloc(64 << 20)) // 64 MB of zeros, about 64 KB sent
    const r = await send('/v2/models/flights/infer', bomb, { 'content-encoding': 'gzip' })
    expect(r.status).toBe(413)
    expect(await r.json()).toEqual({
      error: `request body is larger than ${8 << 20} bytes once decoded (Content-Encoding: gzip)`,
    })
  })

  it('echoes an id with a newline in the body; the header carries a generated one', async () => {
    const r = await post('/v2/models/flights/infer', request([1], ['SFO'], { id: 'line 1\nline 2' }))
    expect(r.status).toBe(200)
    expect(((await r.json()) as { id: string }).id).toBe('line 1\nline 2')
    expect(r.headers.get('x-request-id')).toMatch(/^req_/)
  })
})
