import type { Context } from 'hono'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { newId } from '../core/ids.js'
import type { PredictionRecord, PredictionStream } from '../core/prediction.js'
import { SLUICE_VERSION } from '../core/version.js'
import type { ActiveDeployment, DeploymentTable } from './deployments.js'
import { InferenceTimeout, runModel, withTimeout } from './infer.js'
import type { ServingMetrics } from './metrics.js'
import type { LoadedVersion, ModelCache } from './model-cache.js'
import { ProtocolError } from './protocol/errors.js'
import { instancesResponse, parseInstances } from './protocol/instances.js'
import { stringifyJson } from './protocol/json.js'
import type { OutputTensor } from './protocol/outputs.js'
import { type InputTensor, parseInferRequest } from './protocol/request.js'
import { buildInferResponse } from './protocol/response.js'
import { pickVersion } from './router.js'

export interface ServingLimits {
  /** Largest request body, in bytes (413 beyond). */
  maxBodyBytes: number
  /** Longest a request may wait for the model (504 beyond). */
  timeoutMs: number
  /** Requests in flight per deployment beyond which new ones are shed (503 with Retry-After). */
  maxInFlight: number
}

export const DEFAULT_LIMITS: ServingLimits = { maxBodyBytes: 8 << 20, timeoutMs: 30_000, maxInFlight: 512 }

interface Deps {
  table: DeploymentTable
  cache: ModelCache
  metrics: ServingMetrics
  stream: PredictionStream
  limits: ServingLimits
}

/** A failure on the protocol routes: answered as `{"error": message}` with the status. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

/**
 * The Open Inference Protocol v2 routes (`/v2/…`) and the plain endpoint
 * (`/v1/deployments/{name}/predict`). `{name}` is a deployment; `versions/{v}` one version behind it.
 */
export function servingRoutes(d: Deps): Hono {
  const app = new Hono()
  const limit = bodyLimit({
    maxSize: d.limits.maxBodyBytes,
    onError: (c) => c.json({ error: `request body is larger than ${d.limits.maxBodyBytes} bytes` }, 413),
  })

  app.get('/v2/health/live', (c) => c.json({ live: true }))
  app.get('/v2/health/ready', (c) => {
    const notReady = d.table.list().filter((x) => !x.current)
    return notReady.length
      ? c.json(
          { error: `not ready: ${notReady.map((x) => `${x.record.name} (${x.problem})`).join('; ')}` },
          503,
        )
      : c.json({ ready: true })
  })
  app.get('/v2', (c) => c.json({ name: 'sluice', version: SLUICE_VERSION, extensions: [] }))

  const metadata = (c: Context) => {
    const { v } = resolve(c)
    return c.json({
      name: c.req.param('name'),
      versions: [String(v.version)],
      platform: 'onnxruntime_onnx',
      inputs: v.signature.inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
      outputs: v.signature.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
    })
  }
  const ready = (c: Context) => {
    resolve(c)
    return c.json({ name: c.req.param('name'), ready: true })
  }
  app.get('/v2/models/:name', metadata)
  app.get('/v2/models/:name/versions/:version', metadata)
  app.get('/v2/models/:name/ready', ready)
  app.get('/v2/models/:name/versions/:version/ready', ready)

  const infer = (c: Context) =>
    answer(c, d, async (text, deployment, v, requestId, started) => {
      const req = parseInferRequest(text, v.signature)
      const id = req.id ?? requestId
      const outputs = await run(d, deployment, v, req.inputs, req.rows)
      record(d, { deployment, v, id, inputs: req.inputs, outputs, rows: req.rows, started })
      return {
        id,
        body: buildInferResponse({
          modelName: deployment.record.name,
          modelVersion: String(v.version),
          id,
          outputs,
          requested: req.outputs,
          signature: v.signature,
        }),
      }
    })
  app.post('/v2/models/:name/infer', limit, infer)
  app.post('/v2/models/:name/versions/:version/infer', limit, infer)

  app.post('/v1/deployments/:name/predict', limit, (c) =>
    answer(c, d, async (text, deployment, v, requestId, started) => {
      const req = parseInstances(text, v.signature)
      const outputs = await run(d, deployment, v, req.inputs, req.rows)
      record(d, { deployment, v, id: requestId, inputs: req.inputs, outputs, rows: req.rows, started })
      return {
        id: requestId,
        body: stringifyJson({
          model_name: deployment.record.name,
          model_version: String(v.version),
          id: requestId,
          predictions: instancesResponse(outputs, v.signature),
        }),
      }
    }),
  )

  app.onError((err, c) => {
    if (err instanceof HttpFailure) return c.json({ error: err.message }, err.status as 400, err.headers)
    if (err instanceof ProtocolError) return c.json({ error: err.message }, err.status as 400)
    return c.json({ error: `internal error: ${(err as Error).message}` }, 500)
  })

  /** The deployment and version a route names; 404 when either is unknown, 503 when not loaded. */
  function resolve(c: Context): { deployment: ActiveDeployment; v: LoadedVersion } {
    const name = c.req.param('name')!
    const deployment = d.table.get(name)
    if (!deployment) {
      const names = d.table.list().map((x) => x.record.name)
      throw new HttpFailure(
        404,
        `unknown deployment "${name}"; deployments: ${names.join(', ') || '(none)'}`,
        'unknown',
      )
    }
    const raw = c.req.param('version')
    const asked = raw === undefined ? null : Number(raw)
    if (raw !== undefined && !(Number.isInteger(asked) && (asked as number) > 0))
      throw new HttpFailure(404, `version "${raw}" is not a version number`, 'unknown')
    if (!deployment.current)
      throw new HttpFailure(503, `deployment "${name}" is not ready: ${deployment.problem}`, 'not_ready')
    const v = pickVersion(deployment, asked)
    if (!v)
      throw new HttpFailure(
        404,
        `version ${asked} does not answer behind deployment "${name}" (version ${deployment.current.version} does)`,
        'unknown',
      )
    return { deployment, v }
  }

  type Handler = (
    text: string,
    deployment: ActiveDeployment,
    v: LoadedVersion,
    requestId: string,
    started: number,
  ) => Promise<{ id: string; body: string }>
  const inFlightCounts = new Map<string, number>()

  async function answer(c: Context, deps: Deps, handle: Handler): Promise<Response> {
    const started = performance.now()
    const requestId = c.req.header('x-request-id') ?? newId('req_')
    c.header('x-request-id', requestId)
    const { deployment, v } = resolve(c)
    const labels = { deployment: deployment.record.name, version: String(v.version) }
    const gauge = deps.metrics.inFlight.labels(labels.deployment)
    const inFlight = inFlightCounts.get(labels.deployment) ?? 0
    if (inFlight >= deps.limits.maxInFlight) {
      deps.metrics.shed.inc({ deployment: labels.deployment })
      throw new HttpFailure(
        503,
        `deployment "${labels.deployment}" is overloaded; retry shortly (request ${requestId})`,
        'shed',
        {
          'retry-after': '1',
          'x-request-id': requestId,
        },
      )
    }
    gauge.inc()
    inFlightCounts.set(labels.deployment, inFlight + 1)
    // Held from here, so a swap while the body is still arriving cannot unload the version.
    const hold = deps.cache.acquire(v)
    let status = 200
    try {
      const { id, body } = await handle(await c.req.text(), deployment, v, requestId, started)
      c.header('x-request-id', id)
      c.header('x-model-version', String(v.version))
      c.header('content-type', 'application/json')
      return c.body(body)
    } catch (e) {
      const failure =
        e instanceof ProtocolError
          ? new HttpFailure(e.status, e.message, 'bad_request')
          : e instanceof InferenceTimeout
            ? new HttpFailure(
                504,
                `model ${v.model}@${v.version} gave ${e.message} (request ${requestId})`,
                'timeout',
              )
            : e instanceof HttpFailure
              ? e
              : new HttpFailure(
                  500,
                  `model ${v.model}@${v.version} failed: ${(e as Error).message} (request ${requestId})`,
                  'model_error',
                )
      status = failure.status
      deps.metrics.errors.inc({ ...labels, reason: failure.reason })
      failure.headers['x-model-version'] = String(v.version)
      failure.headers['x-request-id'] = requestId
      throw failure
    } finally {
      hold()
      gauge.dec()
      inFlightCounts.set(labels.deployment, (inFlightCounts.get(labels.deployment) ?? 1) - 1)
      deps.metrics.requests.inc({ ...labels, code: String(status) })
      deps.metrics.latency.observe(labels, (performance.now() - started) / 1000)
    }
  }
  return app
}

/** Runs the model (batched with others when the deployment asks) while holding the version, so a swap cannot unload it mid-request. */
async function run(
  d: Deps,
  deployment: ActiveDeployment,
  v: LoadedVersion,
  inputs: Record<string, InputTensor>,
  rows: number,
) {
  const release = d.cache.acquire(v)
  const work =
    deployment.batcher && deployment.current === v
      ? deployment.batcher.submit(inputs, rows)
      : runModel(v, inputs)
  work.then(release, release)
  return withTimeout(work, d.limits.timeoutMs)
}

function record(
  d: Deps,
  r: {
    deployment: ActiveDeployment
    v: LoadedVersion
    id: string
    inputs: Record<string, InputTensor>
    outputs: Record<string, OutputTensor>
    rows: number
    started: number
  },
) {
  const entry: PredictionRecord = {
    request_id: r.id,
    deployment: r.deployment.record.name,
    model: r.v.model,
    version: r.v.version,
    at: new Date().toISOString(),
    latency_ms: Math.round((performance.now() - r.started) * 1000) / 1000,
    rows: r.rows,
    features: Object.fromEntries(Object.entries(r.inputs).map(([k, t]) => [k, t.data])),
    outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, t]) => [k, t.data])),
  }
  d.stream.push(entry)
}
