import { newId } from '../core/ids.js'
import type { PredictionRecord, PredictionStream } from '../core/prediction.js'
import type { ActiveDeployment, DeploymentTable } from './deployments.js'
import { InferenceTimeout, withTimeout } from './infer.js'
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

export interface HandlerDeps {
  table: DeploymentTable
  cache: ModelCache
  metrics: ServingMetrics
  stream: PredictionStream
  limits: ServingLimits
}

/** One inference request, whatever HTTP layer carried it. */
export interface InferCall {
  /** `infer`: Open Inference Protocol v2; `predict`: the plain `{"instances": […]}` endpoint. */
  kind: 'infer' | 'predict'
  deployment: string
  /** The `versions/{v}` path segment, when given. */
  version: string | undefined
  /** The client's `x-request-id` header, when given. */
  requestId: string | undefined
  body: string
}

/** What to answer: the status, headers and JSON text. */
export interface Reply {
  status: number
  headers: Record<string, string>
  body: string
}

/** A failure on the protocol routes: answered as `{"error": message}` with the status. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

/** The deployment and version a route names; 404 when either is unknown, 503 when not loaded. */
export function resolveVersion(
  table: DeploymentTable,
  name: string,
  raw: string | undefined,
): { deployment: ActiveDeployment; v: LoadedVersion } {
  const deployment = table.get(name)
  if (!deployment) {
    const names = table.list().map((x) => x.record.name)
    throw new HttpFailure(
      404,
      `unknown deployment "${name}"; deployments: ${names.join(', ') || '(none)'}`,
      'unknown',
    )
  }
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

/**
 * Answers inference requests: routes to a version, sheds load past the in-flight bound, parses and
 * validates the body, runs the model (batched when the deployment asks), records the prediction
 * for monitoring and counts it. Never throws: every failure is a reply in the protocol's shape
 * (`{"error": message}`) that carries the request id.
 */
export function inferenceHandler(d: HandlerDeps): (call: InferCall) => Promise<Reply> {
  const inFlight = new Map<string, number>()

  return async (call) => {
    const started = performance.now()
    const requestId = call.requestId ?? newId('req_')
    let target: { deployment: ActiveDeployment; v: LoadedVersion }
    try {
      target = resolveVersion(d.table, call.deployment, call.version)
    } catch (e) {
      return failed(e as HttpFailure, requestId)
    }
    const { deployment, v } = target
    const name = deployment.record.name
    const counters = d.metrics.forVersion(name, v.version)
    const running = inFlight.get(name) ?? 0
    if (running >= d.limits.maxInFlight) {
      d.metrics.shed.inc({ deployment: name })
      counters.finished(503, 'shed', (performance.now() - started) / 1000)
      return failed(
        new HttpFailure(
          503,
          `deployment "${name}" is overloaded; retry shortly (request ${requestId})`,
          'shed',
          {
            'retry-after': '1',
          },
        ),
        requestId,
        v,
      )
    }
    inFlight.set(name, running + 1)
    counters.inFlight.inc()
    const hold = d.cache.acquire(v)
    try {
      const { id, body } = await answer(d, call, deployment, v, requestId, started)
      counters.finished(200, null, (performance.now() - started) / 1000)
      return {
        status: 200,
        headers: {
          'content-type': 'application/json',
          'x-request-id': id,
          'x-model-version': String(v.version),
        },
        body,
      }
    } catch (e) {
      const failure = asFailure(e, v, requestId)
      counters.finished(failure.status, failure.reason, (performance.now() - started) / 1000)
      return failed(failure, requestId, v)
    } finally {
      hold()
      counters.inFlight.dec()
      inFlight.set(name, (inFlight.get(name) ?? 1) - 1)
    }
  }
}

async function answer(
  d: HandlerDeps,
  call: InferCall,
  deployment: ActiveDeployment,
  v: LoadedVersion,
  requestId: string,
  started: number,
): Promise<{ id: string; body: string }> {
  const modelName = deployment.record.name
  const modelVersion = String(v.version)
  if (call.kind === 'infer') {
    const req = parseInferRequest(call.body, v.signature)
    const id = req.id ?? requestId
    const outputs = await run(d, deployment, v, req.inputs, req.rows)
    record(d, { deployment, v, id, inputs: req.inputs, outputs, rows: req.rows, started })
    const body = buildInferResponse({
      modelName,
      modelVersion,
      id,
      outputs,
      requested: req.outputs,
      signature: v.signature,
    })
    return { id, body }
  }
  const req = parseInstances(call.body, v.signature)
  const outputs = await run(d, deployment, v, req.inputs, req.rows)
  record(d, { deployment, v, id: requestId, inputs: req.inputs, outputs, rows: req.rows, started })
  const body = stringifyJson({
    model_name: modelName,
    model_version: modelVersion,
    id: requestId,
    predictions: instancesResponse(outputs, v.signature),
  })
  return { id: requestId, body }
}

function asFailure(e: unknown, v: LoadedVersion, requestId: string): HttpFailure {
  if (e instanceof HttpFailure) return e
  if (e instanceof ProtocolError) return new HttpFailure(e.status, e.message, 'bad_request')
  if (e instanceof InferenceTimeout)
    return new HttpFailure(
      504,
      `model ${v.model}@${v.version} gave ${e.message} (request ${requestId})`,
      'timeout',
    )
  return new HttpFailure(
    500,
    `model ${v.model}@${v.version} failed: ${(e as Error).message} (request ${requestId})`,
    'model_error',
  )
}

function failed(failure: HttpFailure, requestId: string, v?: LoadedVersion): Reply {
  return {
    status: failure.status,
    headers: {
      'content-type': 'application/json',
      ...failure.headers,
      'x-request-id': requestId,
      ...(v ? { 'x-model-version': String(v.version) } : {}),
    },
    body: JSON.stringify({ error: failure.message }),
  }
}

/** Runs the model (batched with others when the deployment asks) while holding the version, so a swap cannot unload it mid-request. */
function run(
  d: HandlerDeps,
  deployment: ActiveDeployment,
  v: LoadedVersion,
  inputs: Record<string, InputTensor>,
  rows: number,
): Promise<Record<string, OutputTensor>> {
  const release = d.cache.acquire(v)
  const work =
    deployment.batcher && deployment.current === v ? deployment.batcher.submit(inputs, rows) : v.run(inputs)
  work.then(release, release)
  return withTimeout(work, d.limits.timeoutMs)
}

function record(
  d: HandlerDeps,
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
  const features: Record<string, ArrayLike<unknown>> = {}
  for (const name in r.inputs) features[name] = r.inputs[name]!.data
  const outputs: Record<string, ArrayLike<unknown>> = {}
  for (const name in r.outputs) outputs[name] = r.outputs[name]!.data
  const entry: PredictionRecord = {
    request_id: r.id,
    deployment: r.deployment.record.name,
    model: r.v.model,
    version: r.v.version,
    at: new Date(performance.timeOrigin + r.started).toISOString(),
    latency_ms: Math.round((performance.now() - r.started) * 1000) / 1000,
    rows: r.rows,
    features,
    outputs,
  }
  d.stream.push(entry)
}
