import type { Context } from 'hono'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { SLUICE_VERSION } from '../core/version.js'
import { type HandlerDeps, HttpFailure, type InferCall, type Reply, resolveVersion } from './handler.js'
import { ProtocolError } from './protocol/errors.js'
import { replyId } from './protocol/request-id.js'

/**
 * The Open Inference Protocol v2 routes (`/v2/…`) and the plain endpoint
 * (`/v1/deployments/{name}/predict`). `{name}` is a deployment; `versions/{v}` one version behind it.
 * Inference itself is `handle` (the same one the server's fast path calls).
 */
export function servingRoutes(d: HandlerDeps, handle: (call: InferCall) => Promise<Reply>): Hono {
  const app = new Hono()
  const limit = bodyLimit({
    maxSize: d.limits.maxBodyBytes,
    onError: (c) =>
      c.json({ error: `request body is larger than ${d.limits.maxBodyBytes} bytes` }, 413, {
        'x-request-id': replyId(c.req.header('x-request-id')),
      }),
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
  app.get('/v2/models/:name', metadata)
  app.get('/v2/models/:name/versions/:version', metadata)
  app.get('/v2/models/:name/ready', ready)
  app.get('/v2/models/:name/versions/:version/ready', ready)

  const inference = (kind: InferCall['kind']) => async (c: Context) => {
    const reply = await handle({
      kind,
      deployment: c.req.param('name')!,
      version: c.req.param('version'),
      requestId: c.req.header('x-request-id'),
      header: (name) => c.req.header(name),
      body: await c.req.text(),
    })
    return c.body(reply.body, reply.status as 200, reply.headers)
  }
  // Inference takes POST only: any other method is a 405 in the protocol's error shape.
  const postOnly = (c: Context) =>
    c.json({ error: `${c.req.method} is not allowed on ${c.req.path}; send the request with POST` }, 405, {
      allow: 'POST',
    })
  const inferenceRoutes: [string, InferCall['kind']][] = [
    ['/v2/models/:name/infer', 'infer'],
    ['/v2/models/:name/versions/:version/infer', 'infer'],
    ['/v1/deployments/:name/predict', 'predict'],
  ]
  for (const [path, kind] of inferenceRoutes) {
    app.post(path, limit, inference(kind))
    app.all(path, postOnly)
  }

  app.onError((err, c) => {
    if (err instanceof HttpFailure) return c.json({ error: err.message }, err.status as 400, err.headers)
    if (err instanceof ProtocolError) return c.json({ error: err.message }, err.status as 400)
    return c.json({ error: `internal error: ${(err as Error).message}` }, 500)
  })

  const resolve = (c: Context) => resolveVersion(d.table, c.req.param('name')!, c.req.param('version'))
  return app
}
