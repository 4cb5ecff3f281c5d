import { isoAt } from '../core/clock.js'
import { newId } from '../core/ids.js'
import type { PredictionRecord, PredictionStream } from '../core/prediction.js'
import type { ActiveDeployment, DeploymentTable } from './deployments.js'
import { InferenceTimeout, type RunModel, withTimeout } from './infer.js'
import type { ServingMetrics } from './metrics.js'
import type { LoadedVersion, ModelCache } from './model-cache.js'
import type { Outcome, OutcomeObserver } from './outcome.js'
import { splitBinaryBody } from './protocol/binary.js'
import { badRequest, type FieldError, ProtocolError } from './protocol/errors.js'
import { instancesResponse, parseInstances } from './protocol/instances.js'
import { stringifyJson } from './protocol/json.js'
import type { OutputTensor } from './protocol/outputs.js'
import {
  type InferRequest,
  type InputTensor,
  parseInferRequest,
  type RequestOptions,
} from './protocol/request.js'
import { quoteId, requestIdProblem } from './protocol/request-id.js'
import { buildBinaryInferResponse, buildInferResponse } from './protocol/response.js'
import type { Role, Router } from './router.js'
import { stickyValue } from './sticky.js'

export interface ServingLimits {
  /** Largest request body, in bytes (413 beyond). */
  maxBodyBytes: number
  /** Longest a request may wait for the model (504 beyond). */
  timeoutMs: number
  /** Requests in flight per deployment beyond which new ones are shed (503 with Retry-After). */
  maxInFlight: number
  /**
   * Refuse an infer input whose declared datatype is not the model's (Triton's rule); false
   * converts it (see docs/serving-protocol.md). `serving.strict_datatypes`.
   */
  strictDatatypes: boolean
}

export const DEFAULT_LIMITS: ServingLimits = {
  maxBodyBytes: 8 << 20,
  timeoutMs: 30_000,
  maxInFlight: 512,
  strictDatatypes: false,
}

export interface HandlerDeps {
  table: DeploymentTable
  cache: ModelCache
  metrics: ServingMetrics
  stream: PredictionStream
  limits: ServingLimits
  /** Told how each request to a deployment under a rollout went (the rollout's analysis listens). */
  observers: OutcomeObserver[]
  /** Shadow calls running per deployment beyond which mirroring pauses (counted as dropped). */
  maxShadowInFlight?: number
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
  /** Reads a request header (lower-case name); a rollout may route on one. */
  header?: (name: string) => string | undefined
  /** The body (decoded from its Content-Encoding): JSON text, or the bytes of a binary-extension request. */
  body: string | Uint8Array
  /**
   * The Inference-Header-Content-Length header, when given: the body is that many bytes of JSON
   * and then binary tensor data (the binary tensor data extension).
   */
  headerLength?: string | undefined
}

/** What to answer: the status, headers and body (JSON text, or JSON and binary tensor data). */
export interface Reply {
  status: number
  headers: Record<string, string>
  body: string | Uint8Array
}

/** A failure on the protocol routes: answered as `{"error": message}` with the status. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly headers: Record<string, string> = {},
    /** Field-level problems of a plain request, answered beside the message. */
    readonly details: FieldError[] = [],
  ) {
    super(message)
  }
}

/**
 * The deployment and version a route names; 404 when either is unknown, 503 when not loaded.
 * With no version asked, an inference request's version is picked by the deployment's router
 * (`key` reads the request's sticky value); other callers (metadata) get the stable version.
 */
export function resolveVersion(
  table: DeploymentTable,
  name: string,
  raw: string | undefined,
  key?: (router: Router) => string | null,
): { deployment: ActiveDeployment; v: LoadedVersion; role: Role } {
  const deployment = table.get(name)
  if (!deployment) {
    const names = table.list().map((x) => x.record.name)
    throw new HttpFailure(
      404,
      `unknown deployment "${name}"; deployments: ${names.join(', ') || '(none)'}`,
      'unknown',
    )
  }
  if (raw !== undefined && !/^[1-9]\d{0,14}$/.test(raw))
    throw new HttpFailure(404, `version "${raw}" is not a version number (1, 2, 3, …)`, 'unknown')
  const asked = raw === undefined ? null : Number(raw)
  const router = deployment.router
  if (!deployment.current || !router)
    throw new HttpFailure(503, `deployment "${name}" is not ready: ${deployment.problem}`, 'not_ready')
  const route =
    asked === null && !key
      ? { v: router.stable, role: 'stable' as const }
      : router.pick(asked, asked === null ? key!(router) : null)
  if (!route)
    throw new HttpFailure(
      404,
      `version ${asked} does not answer behind deployment "${name}" (${router
        .versions()
        .map((v) => `version ${v.version}`)
        .join(', ')} ${router.versions().length > 1 ? 'do' : 'does'})`,
      'unknown',
    )
  return { deployment, v: route.v, role: route.role }
}

/**
 * Answers inference requests: routes to a version, sheds load past the in-flight bound, parses and
 * validates the body, runs the model (batched when the deployment asks), records the prediction
 * for monitoring and counts it. Never throws: every failure is a reply in the protocol's shape
 * (`{"error": message}`) that carries the request id.
 */
export function inferenceHandler(d: HandlerDeps): (call: InferCall) => Promise<Reply> {
  const inFlight = new Map<string, number>()
  const options: RequestOptions = { strictDatatypes: d.limits.strictDatatypes }

  return async (call) => {
    const started = performance.now()
    // An empty x-request-id header is no id; one a header cannot echo safely is refused.
    const idProblem = call.requestId ? requestIdProblem(call.requestId) : null
    const requestId = (!idProblem && call.requestId) || newId('req_')
    if (idProblem) {
      const message = `header x-request-id ${quoteId(call.requestId!)} ${idProblem}`
      return failed(new HttpFailure(400, message, 'bad_request'), requestId)
    }
    let target: ReturnType<typeof resolveVersion>
    try {
      target = resolveVersion(d.table, call.deployment, call.version, (router) => stickyValue(router, call))
    } catch (e) {
      return failed(e as HttpFailure, requestId)
    }
    const { deployment, v, role } = target
    const name = deployment.record.name
    // Outcomes are wanted only while a rollout routes this deployment (then the analysis reads them).
    const observe = deployment.record.routing && d.observers.length > 0
    const tell = (status: number, outputs: Outcome['outputs'], rows: number) => {
      if (observe) notify(d, { deployment: name, v, role, started, status, outputs, rows })
    }
    const counters = d.metrics.forVersion(name, v.version)
    const running = inFlight.get(name) ?? 0
    if (running >= d.limits.maxInFlight) {
      d.metrics.shed.inc({ deployment: name })
      counters.finished(503, 'shed', (performance.now() - started) / 1000)
      tell(503, null, 0)
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
      const { id, body, headerLength, inputs, outputs, rows } = await answer(
        d,
        options,
        call,
        deployment,
        v,
        requestId,
        started,
      )
      counters.finished(200, null, (performance.now() - started) / 1000)
      if (observe) {
        tell(200, outputs, rows)
        const shadow = deployment.router!.mirror(stickyValue(deployment.router!, call))
        if (shadow)
          runShadow(d, deployment, shadow, inputs, {
            outputs,
            rows,
            version: v.version,
            signature: v.signature,
            started,
          })
      }
      const headers: Record<string, string> = {
        'content-type': headerLength === undefined ? 'application/json' : 'application/octet-stream',
        'x-request-id': headerId(id, requestId),
        'x-model-version': String(v.version),
      }
      if (headerLength !== undefined) headers['inference-header-content-length'] = String(headerLength)
      return { status: 200, headers, body }
    } catch (e) {
      const id = (e instanceof ProtocolError && e.requestId) || requestId
      const failure = asFailure(e, v, id)
      counters.finished(failure.status, failure.reason, (performance.now() - started) / 1000)
      tell(failure.status, null, 0)
      return failed(failure, headerId(id, requestId), v)
    } finally {
      hold()
      counters.inFlight.dec()
      inFlight.set(name, (inFlight.get(name) ?? 1) - 1)
    }
  }
}

/**
 * The id the x-request-id header carries: the request's own (its body `id`, which may be any
 * string) when a header can carry it intact, else the client's header or a generated one.
 */
const headerId = (id: string, fallback: string) => (id === fallback || !requestIdProblem(id) ? id : fallback)

async function answer(
  d: HandlerDeps,
  options: RequestOptions,
  call: InferCall,
  deployment: ActiveDeployment,
  v: LoadedVersion,
  requestId: string,
  started: number,
): Promise<{
  id: string
  body: string | Uint8Array
  /** The JSON's length in bytes when the body carries binary outputs after it. */
  headerLength?: number
  inputs: Record<string, InputTensor>
  outputs: Record<string, OutputTensor>
  rows: number
}> {
  const modelName = deployment.record.name
  const modelVersion = String(v.version)
  if (call.kind === 'infer') {
    const req = readInfer(call, v, options)
    const id = req.id ?? requestId
    const outputs = await run(d, deployment, v, req.inputs, req.rows)
    record(d, { deployment, v, id, inputs: req.inputs, outputs, rows: req.rows, started })
    const response = { modelName, modelVersion, id, outputs, requested: req.outputs, signature: v.signature }
    if (req.binaryOutputs.size === 0)
      return { id, body: buildInferResponse(response), inputs: req.inputs, outputs, rows: req.rows }
    const { body, headerLength } = buildBinaryInferResponse({ ...response, binary: req.binaryOutputs })
    return { id, body, headerLength, inputs: req.inputs, outputs, rows: req.rows }
  }
  if (call.headerLength !== undefined) {
    throw badRequest(
      'the binary tensor data extension (Inference-Header-Content-Length) is for /v2/models/{name}/infer; send this endpoint JSON',
    )
  }
  const req = parseInstances(bodyText(call.body), v.signature)
  const outputs = await run(d, deployment, v, req.inputs, req.rows)
  record(d, { deployment, v, id: requestId, inputs: req.inputs, outputs, rows: req.rows, started })
  const body = stringifyJson({
    model_name: modelName,
    model_version: modelVersion,
    id: requestId,
    predictions: instancesResponse(outputs, v.signature),
  })
  return { id: requestId, body, inputs: req.inputs, outputs, rows: req.rows }
}

/** An infer request's body read: all JSON, or JSON and binary tensor data. */
function readInfer(call: InferCall, v: LoadedVersion, options: RequestOptions): InferRequest {
  if (call.headerLength === undefined) return parseInferRequest(bodyText(call.body), v.signature, options)
  const bytes = typeof call.body === 'string' ? Buffer.from(call.body, 'utf8') : call.body
  const { json, tail } = splitBinaryBody(bytes, call.headerLength)
  return parseInferRequest(json, v.signature, { ...options, binary: tail })
}

const bodyText = (body: string | Uint8Array) =>
  typeof body === 'string'
    ? body
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')

/** Tells the observers how a request went on one version (`started`: when it reached that version). */
function notify(
  d: HandlerDeps,
  r: {
    deployment: string
    v: LoadedVersion
    role: Role
    started: number
    status: number
    outputs: Outcome['outputs']
    rows: number
    reference?: Outcome['reference']
  },
): void {
  const o: Outcome = {
    deployment: r.deployment,
    model: r.v.model,
    version: r.v.version,
    role: r.role,
    at: performance.timeOrigin + r.started,
    status: r.status,
    latency_ms: performance.now() - r.started,
    rows: r.rows,
    outputs: r.outputs,
    signature: r.v.signature,
    ...(r.reference && { reference: r.reference }),
  }
  for (const f of d.observers) f(o)
}

const shadowsRunning = new WeakMap<ActiveDeployment, number>()

/**
 * Runs a copy of an answered request on the shadow version, after the answer went out; its result
 * is never returned, only compared (through the observers) with the stable's. Past the bound of
 * shadow calls in flight, copies are dropped and counted rather than queued.
 */
function runShadow(
  d: HandlerDeps,
  deployment: ActiveDeployment,
  shadow: LoadedVersion,
  inputs: Record<string, InputTensor>,
  stable: {
    outputs: Record<string, OutputTensor>
    rows: number
    version: number
    signature: LoadedVersion['signature']
    started: number
  },
): void {
  const name = deployment.record.name
  const running = shadowsRunning.get(deployment) ?? 0
  if (running >= (d.maxShadowInFlight ?? 64)) {
    d.metrics.shadowDropped.inc({ deployment: name })
    return
  }
  shadowsRunning.set(deployment, running + 1)
  const started = performance.now()
  const release = d.cache.acquire(shadow)
  const reference = {
    version: stable.version,
    outputs: stable.outputs,
    signature: stable.signature,
    latency_ms: started - stable.started,
  }
  const tell = (status: number, outputs: Outcome['outputs']) =>
    notify(d, {
      deployment: name,
      v: shadow,
      role: 'shadow',
      started,
      status,
      outputs,
      rows: stable.rows,
      reference,
    })
  withTimeout(
    new Promise<Record<string, OutputTensor>>((resolve) => resolve(shadow.run(inputs))),
    d.limits.timeoutMs,
  )
    .then(
      (outputs) => tell(200, outputs),
      (e) => tell(e instanceof InferenceTimeout ? 504 : 500, null),
    )
    .finally(() => {
      release()
      shadowsRunning.set(deployment, (shadowsRunning.get(deployment) ?? 1) - 1)
    })
}

function asFailure(e: unknown, v: LoadedVersion, requestId: string): HttpFailure {
  if (e instanceof HttpFailure) return e
  if (e instanceof ProtocolError) return new HttpFailure(e.status, e.message, 'bad_request', {}, e.details)
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
    body: JSON.stringify({
      error: failure.message,
      ...(failure.details.length > 0 && { details: failure.details }),
    }),
  }
}

/**
 * Runs the model (batched with others when the deployment asks) while holding the version, so a
 * swap cannot unload it mid-request. A call that ended on this thread gives its outputs directly.
 */
function run(
  d: HandlerDeps,
  deployment: ActiveDeployment,
  v: LoadedVersion,
  inputs: Record<string, InputTensor>,
  rows: number,
): Record<string, OutputTensor> | Promise<Record<string, OutputTensor>> {
  const release = d.cache.acquire(v)
  const batcher = deployment.batchers.get(v)
  let work: ReturnType<RunModel>
  try {
    work = batcher ? batcher.submit(inputs, rows) : v.run(inputs)
  } catch (e) {
    release()
    throw e
  }
  if (!(work instanceof Promise)) {
    release()
    return work
  }
  work.then(release, release)
  // A batcher times its model call, once for every request in it.
  return batcher ? work : withTimeout(work, d.limits.timeoutMs)
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
    at: isoAt(performance.timeOrigin + r.started),
    latency_ms: Math.round((performance.now() - r.started) * 1000) / 1000,
    rows: r.rows,
    features,
    outputs,
  }
  d.stream.push(entry)
}
