import { Hono } from 'hono'
import { diskError } from '../core/disk-full.js'
import { ERROR_CODES, SluiceError, toErrorDocument } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { jsonLogger } from '../core/log.js'
import { SLUICE_VERSION } from '../core/version.js'
import type { LocalRegistry } from '../registry/local.js'
import { type BodyLimits, DEFAULT_BODY_LIMITS } from './body.js'
import { openApiDocument } from './openapi.js'
import { artifactRoutes } from './routes/artifacts.js'
import { datasetRoutes } from './routes/datasets.js'
import { deploymentRoutes } from './routes/deployments.js'
import { modelRoutes } from './routes/models.js'
import { rolloutRoutes } from './routes/rollouts.js'

/** Something later capabilities mount into the one server process (serving, monitoring, the UI). */
export interface ServerModule {
  /** Path prefix, e.g. `/v2` for the inference protocol. */
  prefix: string
  routes: Hono
}

export interface AppOptions {
  registry: LocalRegistry
  /** Where request bodies that must be spooled to disk go (inside the home). */
  tmpDir: string
  modules?: ServerModule[]
  /** Serve the REST API (`/api/v1`, `/openapi.json`); false for a server of the modules alone (`sluice serve`). */
  rest?: boolean
  /** Structured request log; defaults to one JSON line per request on stderr. */
  log?: (entry: Record<string, unknown>) => void
  /** Largest request bodies the REST API reads (`server.max_json_mb`, `server.max_upload_gb`). */
  bodyLimits?: BodyLimits
}

export function createApp(options: AppOptions): Hono {
  const app = new Hono()
  const log = options.log ?? jsonLogger()

  // Every request passes here: request id, structured log line, and (in a later issue) authentication.
  app.use('*', async (c, next) => {
    const requestId = c.req.header('x-request-id') ?? newId('req_')
    const started = performance.now()
    c.header('x-request-id', requestId)
    c.set('bodyLimits', options.bodyLimits ?? DEFAULT_BODY_LIMITS)
    await next()
    log({
      time: new Date().toISOString(),
      level: c.res.status >= 500 ? 'error' : 'info',
      msg: 'request',
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
    })
  })

  app.onError((caught, c) => {
    const err = diskError(caught) as Error
    const doc = toErrorDocument(err)
    const status = err instanceof SluiceError ? err.httpStatus : ERROR_CODES.INTERNAL
    if (!(err instanceof SluiceError))
      log({
        time: new Date().toISOString(),
        level: 'error',
        msg: 'unhandled',
        error: String(err.stack ?? err),
      })
    return c.json(doc, status as 400)
  })

  app.notFound((c) =>
    c.json(
      toErrorDocument(
        new SluiceError(
          'NOT_FOUND',
          options.rest === false
            ? `no route for ${c.req.method} ${c.req.path}; this is sluice serve, which answers the model-serving routes only (/v2/…, /v1/deployments/{name}/predict, /metrics): the REST API is served by sluice server`
            : `no route for ${c.req.method} ${c.req.path}; the API is described at /openapi.json`,
        ),
      ),
      404,
    ),
  )

  app.get('/healthz', (c) => c.json({ status: 'ok', version: SLUICE_VERSION }))
  if (options.rest !== false) {
    app.get('/openapi.json', (c) => c.json(openApiDocument()))
    app.route('/api/v1', modelRoutes(options.registry))
    app.route('/api/v1', datasetRoutes(options.registry, options.tmpDir))
    app.route('/api/v1', artifactRoutes(options.registry))
    app.route('/api/v1', deploymentRoutes(options.registry))
    app.route('/api/v1', rolloutRoutes(options.registry))
  }
  for (const m of options.modules ?? []) app.route(m.prefix, m.routes)
  return app
}
