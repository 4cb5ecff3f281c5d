import type { Context } from 'hono'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Scope } from '../core/actor.js'
import { SLUICE_VERSION } from '../core/version.js'
import { decodeBody, encodingOf, unsupportedEncoding } from './body-encoding.js'
import { type HandlerDeps, HttpFailure, type InferCall, type Reply, resolveVersion } from './handler.js'
import { ProtocolError } from './protocol/errors.js'
import { replyId } from './protocol/request-id.js'

/**
 * Who may call one of the model server's routes, for the server's scope table: anyone (`public`:
 * health, and catch-alls that answer only 404 or 405), whoever `serving.auth` lets in
 * (`inference`), or a token of a scope.
 */
export interface RouteAccess {
  method: 'GET' | 'POST' | 'ALL'
  path: string
  access: 'public' | 'inference' | Scope
}

/**
 * The Open Inference Protocol v2 routes (`/v2/…`) and the plain endpoint
 * (`/v1/deployments/{name}/predict`). `{name}` is a deployment; `versions/{v}` one version behind it.
 * Inference itself is `handle` (the same one the server's fast path calls). Returns the routes and
 * who may call each (every route registered here is listed).
 */
export function servingRoutes(
  d: HandlerDeps,
  handle: (call: InferCall) => Promise<Reply>,
): { app: Hono; access: RouteAccess[] } {
  const app = new Hono()
  const access: RouteAccess[] = []
  const limit = bodyLimit({
    maxSize: d.limits.maxBodyBytes,
    onError: (c) =>
      c.json({ error: `request body is larger than ${d.limits.maxBodyBytes} bytes` }, 413, {
        'x-request-id': replyId(c.req.header('x-request-id')),
      }),
  })

  const live = (c: Context) => c.json({ live: true })
  const readiness = (c: Context) => {
    const notReady = d.table.list().filter((x) => !x.current)
    return notReady.length
      ? c.json(
          { error: `not ready: ${notReady.map((x) => `${x.record.name} (${x.problem})`).join('; ')}` },
          503,
        )
      : c.json({ ready: true })
  }
  const server = (c: Context) =>
    c.json({ name: 'sluice', version: SLUICE_VERSION, extensions: ['binary_tensor_data'] })
  const metadata = (c: Context) => {
    const { deployment, v } = resolve(c)
    const behind = c.req.param('version') === undefined ? deployment.router!.versions() : [v]
    return c.json({
      name: c.req.param('name'),
      versions: behind.map((x) => String(x.version)),
      platform: 'onnxruntime_onnx',
      inputs: v.signature.inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
      outputs: v.signature.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
    })
  }
  const ready = (c: Context) => {
    resolve(c)
    return c.json({ name: c.req.param('name'), ready: true })
  }
  const getRoutes: [string, (c: Context) => Response][] = [
    ['/v2/health/live', live],
    ['/v2/health/ready', readiness],
    ['/v2', server],
    ['/v2/', server],
    ['/v2/models/:name', metadata],
    ['/v2/models/:name/versions/:version', metadata],
    ['/v2/models/:name/ready', ready],
    ['/v2/models/:name/versions/:version/ready', ready],
  ]
  for (const [path, answer] of getRoutes) {
    app.get(path, answer)
    app.all(path, notAllowed('GET'))
    access.push(
      { method: 'GET', path, access: path.startsWith('/v2/health/') ? 'public' : 'inference' },
      { method: 'ALL', path, access: 'public' },
    )
  }

  const inference = (kind: InferCall['kind']) => async (c: Context) => {
    const headerLength = c.req.header('inference-header-content-length')
    const body = await readBody(c, headerLength !== undefined)
    if (body instanceof Response) return body
    const reply = await handle({
      kind,
      deployment: c.req.param('name')!,
      version: c.req.param('version'),
      requestId: c.req.header('x-request-id'),
      header: (name) => c.req.header(name),
      body,
      headerLength,
    })
    return c.body(reply.body as Uint8Array<ArrayBuffer>, reply.status as 200, reply.headers)
  }
  /**
   * The body as the handler takes it (bytes for the binary extension, else text), decoded from its
   * Content-Encoding with the decoded size bounded; or the refusal to answer.
   */
  const readBody = async (c: Context, binary: boolean): Promise<string | Uint8Array | Response> => {
    const header = c.req.header('content-encoding')
    const encoding = header === undefined ? null : encodingOf(header)
    if (encoding === null) return binary ? new Uint8Array(await c.req.arrayBuffer()) : c.req.text()
    const refuse = (status: 400 | 413 | 415, message: string) =>
      c.json({ error: message }, status, { 'x-request-id': replyId(c.req.header('x-request-id')) })
    if (encoding === 'unsupported') return refuse(415, unsupportedEncoding(header!))
    const decoded = await decodeBody(
      encoding,
      new Uint8Array(await c.req.arrayBuffer()),
      d.limits.maxBodyBytes,
    )
    if ('status' in decoded) return refuse(decoded.status, decoded.message)
    return binary ? decoded.body : decoded.body.toString('utf8')
  }
  const inferenceRoutes: [string, InferCall['kind']][] = [
    ['/v2/models/:name/infer', 'infer'],
    ['/v2/models/:name/versions/:version/infer', 'infer'],
    ['/v1/deployments/:name/predict', 'predict'],
  ]
  for (const [path, kind] of inferenceRoutes) {
    app.post(path, limit, inference(kind))
    app.all(path, notAllowed('POST'))
    access.push({ method: 'POST', path, access: 'inference' }, { method: 'ALL', path, access: 'public' })
  }

  // Any other /v2 path: the protocol's error shape, not the REST API's (clients read a string).
  app.all('/v2/*', (c) =>
    c.json(
      {
        error: `no route for ${c.req.method} ${c.req.path}; the Open Inference Protocol routes are GET /v2, /v2/health/live, /v2/health/ready, /v2/models/{name}[/versions/{v}][/ready] and POST /v2/models/{name}[/versions/{v}]/infer`,
      },
      404,
    ),
  )
  access.push({ method: 'ALL', path: '/v2/*', access: 'public' })

  app.onError((err, c) => {
    if (err instanceof HttpFailure) return c.json({ error: err.message }, err.status as 400, err.headers)
    if (err instanceof ProtocolError) return c.json({ error: err.message }, err.status as 400)
    return c.json({ error: `internal error: ${(err as Error).message}` }, 500)
  })

  const resolve = (c: Context) => resolveVersion(d.table, c.req.param('name')!, c.req.param('version'))
  return { app, access }
}

/** Another method on a route: a 405 in the protocol's error shape, with the method it takes. */
const notAllowed = (method: 'GET' | 'POST') => (c: Context) =>
  c.json({ error: `${c.req.method} is not allowed on ${c.req.path}; send the request with ${method}` }, 405, {
    allow: method,
  })
