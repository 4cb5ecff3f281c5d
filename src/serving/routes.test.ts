import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { binaryRequest, readBinaryResponse } from '../../test/support/binary-request.js'
import { PredictionStream } from '../core/prediction.js'
import type { Signature } from '../core/types.js'
import type { DeploymentTable } from './deployments.js'
import { DEFAULT_LIMITS, inferenceHandler } from './handler.js'
import { ServingMetrics } from './metrics.js'
import { type LoadedVersion, ModelCache } from './model-cache.js'
import { Router } from './router.js'
import { servingRoutes } from './routes.js'

const signature: Signature = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
}

/** Routes over one deployment whose "model" is `run`: no onnxruntime, no store. */
function routesWith(run: () => Promise<unknown>, limits = {}) {
  const v = {
    model: 'm',
    version: 4,
    signature,
    inFlight: 0,
    holders: 1,
    run,
  } as unknown as LoadedVersion
  const deployment = {
    record: {
      name: 'd',
      model: 'm',
      version: 4,
      alias: null,
      routing: null,
      revision: 1,
      created_at: '',
      updated_at: '',
    },
    current: v,
    router: new Router(null, v, new Map()),
    batchers: new Map(),
    problem: null,
  }
  const table = { get: (n: string) => (n === 'd' ? deployment : undefined), list: () => [deployment] }
  const stream = new PredictionStream(2)
  const metrics = new ServingMetrics(() => stream.dropped)
  const deps = {
    table: table as unknown as DeploymentTable,
    cache: new ModelCache(null as never, '/nonexistent'),
    metrics,
    stream,
    observers: [],
    limits: { ...DEFAULT_LIMITS, ...limits },
  }
  const { app } = servingRoutes(deps, inferenceHandler(deps))
  const infer = (id: string) =>
    app.request('/v2/models/d/infer', {
      method: 'POST',
      headers: { 'x-request-id': id },
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1] }] }),
    })
  return { app, infer, metrics, stream, v }
}

const json = async (r: Response) => (await r.json()) as Record<string, unknown>

const answer = async () => ({ y: { datatype: 'FP32', dims: [1, 1], data: Float32Array.of(0.5) } })

describe('serving routes: what a request names', () => {
  it('takes an x-request-id a header can echo; refuses others with 400 and a generated id; an empty one is none', async () => {
    const { infer } = routesWith(answer)
    expect((await infer('run 7/a-b')).headers.get('x-request-id')).toBe('run 7/a-b')
    const long = await infer('x'.repeat(257))
    expect(long.status).toBe(400)
    expect(long.headers.get('x-request-id')).toMatch(/^req_/)
    expect(((await long.json()) as { error: string }).error).toBe(
      `header x-request-id "${'x'.repeat(40)}…" is 257 characters long; a request id has at most 256`,
    )
    const empty = await infer('')
    expect(empty.status).toBe(200)
    expect(empty.headers.get('x-request-id')).toMatch(/^req_/)
  })

  it('answers a request refused after its id was read under that id', async () => {
    const { app } = routesWith(answer)
    const r = await app.request('/v2/models/d/infer', {
      method: 'POST',
      headers: { 'x-request-id': 'from-header' },
      body: JSON.stringify({
        id: 'r-17',
        inputs: [{ name: 'x', shape: [2, 1], datatype: 'FP32', data: [1] }],
      }),
    })
    expect(r.status).toBe(400)
    expect(r.headers.get('x-request-id')).toBe('r-17')
  })

  it('reads a version only as a plain whole number', async () => {
    const { app } = routesWith(answer)
    const body = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1] }] })
    const at = (v: string) => app.request(`/v2/models/d/versions/${v}/infer`, { method: 'POST', body })
    expect((await at('4')).status).toBe(200)
    for (const v of ['0x4', '+4', '4.0', '04', '%204', '0', '99999999999999999999']) {
      const r = await at(v)
      expect(r.status, v).toBe(404)
      expect(((await r.json()) as { error: string }).error).toMatch(/is not a version number \(1, 2, 3, …\)$/)
    }
  })

  it('answers other methods on the inference routes with 405, Allow: POST and the protocol error shape', async () => {
    const { app } = routesWith(answer)
    for (const path of ['/v2/models/d/infer', '/v2/models/d/versions/4/infer', '/v1/deployments/d/predict']) {
      const r = await app.request(path, { method: 'GET' })
      expect(r.status).toBe(405)
      expect(r.headers.get('allow')).toBe('POST')
      expect(await r.json()).toEqual({ error: `GET is not allowed on ${path}; send the request with POST` })
    }
  })

  it('answers a refused plain request with its field-level details beside the message', async () => {
    const { app } = routesWith(answer)
    const r = await app.request('/v1/deployments/d/predict', {
      method: 'POST',
      body: JSON.stringify({ instances: [{ x: 'far' }, 5] }),
    })
    expect(r.status).toBe(400)
    const doc = (await r.json()) as { error: string; details: unknown[] }
    expect(doc.error).toMatch(/^2 problems in "instances"/)
    expect(doc.details).toEqual([
      { row: 0, field: 'x', message: expect.stringContaining('instances[0]: field "x"') },
      { row: 1, field: null, message: expect.stringContaining('instances[1]') },
    ])
  })
})

describe('serving routes: failures', () => {
  it('answers 500 with the request id when the model throws, and keeps serving', async () => {
    let calls = 0
    const { infer, metrics } = routesWith(async () => {
      calls++
      if (calls === 1) throw new Error('bad tensor')
      return { y: { datatype: 'FP32', dims: [1, 1], data: Float32Array.of(0.5) } }
    })
    const r = await infer('req-1')
    expect(r.status).toBe(500)
    expect(r.headers.get('x-request-id')).toBe('req-1')
    expect(await r.json()).toEqual({ error: 'model m@4 failed: bad tensor (request req-1)' })
    const ok = await infer('req-2')
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual([0.5])
    expect(await metrics.text()).toMatch(
      /sluice_inference_errors_total\{deployment="d",version="4",reason="model_error"\} 1/,
    )
  })

  it('answers 504 with the request id when the model hangs, and the version stays held until it ends', async () => {
    let finish: (v: unknown) => void = () => {}
    const { infer, v } = routesWith(() => new Promise((resolve) => (finish = resolve)), { timeoutMs: 50 })
    const r = await infer('slow-1')
    expect(r.status).toBe(504)
    expect(await r.json()).toEqual({ error: 'model m@4 gave no answer within 50 ms (request slow-1)' })
    expect(v.inFlight).toBe(1)
    finish({ y: { datatype: 'FP32', dims: [1, 1], data: Float32Array.of(1) } })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(v.inFlight).toBe(0)
  })

  it('sheds load with 503 and Retry-After beyond the in-flight bound; a full prediction stream drops and counts', async () => {
    const pending: ((v: unknown) => void)[] = []
    const answer = { y: { datatype: 'FP32', dims: [1, 1], data: Float32Array.of(1) } }
    let hold = true
    const { infer, metrics, stream } = routesWith(
      () => (hold ? new Promise((resolve) => pending.push(resolve)) : Promise.resolve(answer)),
      { maxInFlight: 2 },
    )
    const first = [infer('a'), infer('b')]
    await new Promise((resolve) => setTimeout(resolve, 20))
    const shed = await infer('c')
    expect(shed.status).toBe(503)
    expect(shed.headers.get('retry-after')).toBe('1')
    expect(((await shed.json()) as { error: string }).error).toContain('overloaded')
    hold = false
    for (const resolve of pending) resolve(answer)
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200])
    // The stream holds 2 records: the third answered request is dropped and counted, not blocked.
    expect((await infer('d')).status).toBe(200)
    expect([stream.pushed, stream.dropped]).toEqual([2, 1])
    expect(await metrics.text()).toMatch(/sluice_prediction_stream_dropped_total 1/)
    expect(await metrics.text()).toMatch(/sluice_inference_shed_total\{deployment="d"\} 1/)
  })
})

describe('serving routes: what Open Inference Protocol clients send', () => {
  it('answers every unknown /v2 path with 404 and the protocol\'s {"error": string}; other methods 405', async () => {
    const { app } = routesWith(answer)
    for (const [method, path] of [
      ['GET', '/v2/models/d/versions/4/foo'],
      ['POST', '/v2/bogus'],
      ['GET', '/v2/health'],
      ['DELETE', '/v2/models/d/infer/x'],
    ] as const) {
      const r = await app.request(path, { method })
      expect(r.status, path).toBe(404)
      const doc = await json(r)
      expect(Object.keys(doc)).toEqual(['error'])
      expect(doc.error).toMatch(
        new RegExp(`^no route for ${method} ${path}; the Open Inference Protocol routes are `),
      )
    }
    const post = await app.request('/v2/health/live', { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET')
    expect(await json(post)).toEqual({
      error: 'POST is not allowed on /v2/health/live; send the request with GET',
    })
  })

  it('answers GET /v2/ as GET /v2, and names the binary tensor data extension', async () => {
    const { app } = routesWith(answer)
    const slash = await json(await app.request('/v2/'))
    expect(slash).toEqual(await json(await app.request('/v2')))
    expect(slash.extensions).toEqual(['binary_tensor_data'])
  })

  it('echoes any string id in the body; the header carries it only when a header can', async () => {
    const { app } = routesWith(answer)
    const body = (id: string) =>
      JSON.stringify({ id, inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1] }] })
    for (const id of ['a\nb', 'café', 'x'.repeat(300), ' padded ']) {
      const r = await app.request('/v2/models/d/infer', { method: 'POST', body: body(id) })
      expect(r.status).toBe(200)
      expect((await json(r)).id).toBe(id)
      expect(r.headers.get('x-request-id')).toMatch(/^req_/)
    }
    const withHeader = await app.request('/v2/models/d/infer', {
      method: 'POST',
      headers: { 'x-request-id': 'from-header' },
      body: body('a\nb'),
    })
    expect(withHeader.headers.get('x-request-id')).toBe('from-header')
    const refused = await app.request('/v2/models/d/infer', {
      method: 'POST',
      body: JSON.stringify({
        id: 'a\nb',
        inputs: [{ name: 'x', shape: [2, 1], datatype: 'FP32', data: [1] }],
      }),
    })
    expect(refused.status).toBe(400)
    expect(refused.headers.get('x-request-id')).toMatch(/^req_/)
  })

  it('reads a binary-extension request and answers binary outputs with Inference-Header-Content-Length', async () => {
    const { app } = routesWith(answer)
    const request = binaryRequest([{ name: 'x', shape: [1, 1], datatype: 'FP32', binary: [1] }], {
      parameters: { binary_data_output: true },
    })
    const r = await app.request('/v2/models/d/infer', {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    })
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/octet-stream')
    const headerLength = Number(r.headers.get('inference-header-content-length'))
    const { json: doc, values } = readBinaryResponse(new Uint8Array(await r.arrayBuffer()), headerLength)
    expect(doc.outputs).toEqual([
      { name: 'y', shape: [1, 1], datatype: 'FP32', parameters: { binary_data_size: 4 } },
    ])
    expect(values).toEqual({ y: [0.5] })
  })

  it('refuses the binary extension on the plain endpoint', async () => {
    const { app } = routesWith(answer)
    const r = await app.request('/v1/deployments/d/predict', {
      method: 'POST',
      headers: { 'inference-header-content-length': '2' },
      body: '{}',
    })
    expect(r.status).toBe(400)
    expect((await json(r)).error).toMatch(
      /^the binary tensor data extension \(Inference-Header-Content-Length\) is for/,
    )
  })

  it('decodes gzip bodies; refuses an unknown Content-Encoding with 415 and a bomb with 413', async () => {
    const { app } = routesWith(answer, { maxBodyBytes: 1 << 20 })
    const body = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1] }] })
    const gz = await app.request('/v2/models/d/infer', {
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(body),
    })
    expect(gz.status).toBe(200)
    const br = await app.request('/v2/models/d/infer', {
      method: 'POST',
      headers: { 'content-encoding': 'br' },
      body,
    })
    expect(br.status).toBe(415)
    expect(await json(br)).toEqual({
      error:
        'Content-Encoding "br" is not supported; send the body as it is, or compressed with gzip or deflate',
    })
    const bomb = await app.request('/v2/models/d/infer', {
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.alloc(16 << 20)),
    })
    expect(bomb.status).toBe(413)
    expect((await json(bomb)).error).toBe(
      'request body is larger than 1048576 bytes once decoded (Content-Encoding: gzip)',
    )
  })

  it('with strict datatypes, refuses FP64 for an FP32 input that it would otherwise round', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP64', data: [0.3] }] })
    const lenient = routesWith(answer).app
    expect((await lenient.request('/v2/models/d/infer', { method: 'POST', body })).status).toBe(200)
    const strict = routesWith(answer, { strictDatatypes: true }).app
    const r = await strict.request('/v2/models/d/infer', { method: 'POST', body })
    expect(r.status).toBe(400)
    expect((await json(r)).error).toBe(
      'input "x": the request declares FP64, but the model\'s input is FP32; serving.strict_datatypes refuses any difference, so send FP32 data',
    )
  })
})
