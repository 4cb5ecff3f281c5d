import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { diskError } from '../core/disk-full.js'
import { ERROR_CODES, SluiceError, toErrorDocument } from '../core/errors.js'
import { jsonLogger } from '../core/log.js'
import { SLUICE_VERSION } from '../core/version.js'
import type { LocalRegistry } from '../registry/local.js'
import { replyId } from '../serving/protocol/request-id.js'
import { guards, type Security } from './auth/guard.js'
import { makeSecurity } from './auth/security.js'
import { type BodyLimits, DEFAULT_BODY_LIMITS } from './body.js'
import { openApiDocument, withScopes } from './openapi.js'
import { artifactRoutes } from './routes/artifacts.js'
import { datasetRoutes } from './routes/datasets.js'
import { deploymentRoutes } from './routes/deployments.js'
import { modelRoutes } from './routes/models.js'
import { rolloutRoutes } from './routes/rollouts.js'
import { tokenRoutes } from './routes/tokens.js'
import { joinPath, type ModuleRoute, middleware, type Route, type TableEntry } from './table.js'

/** Something later capabilities mount into the one server process (serving, monitoring, the UI). */
export interface ServerModule {
  /** Path prefix, e.g. `/v2` for the inference protocol. */
  prefix: string
  routes: Hono
  /** Who may call each of `routes`; a route not listed fails the scope-table test. */
  access: ModuleRoute[]
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
  /**
   * Who may do what. Default: the tokens of the registry's store, requests without a token let in
   * while none exists (a server on loopback), `serving.auth: none`, loopback host names, no CORS.
   */
  security?: Security
}

declare module 'hono' {
  interface ContextVariableMap {
    /** The id this request is answered and logged under. */
    requestId: string
  }
}

const tables = new WeakMap<Hono, readonly TableEntry[]>()

/** Every route the app answers and who may call it: the scope table (docs/security.md). */
export const routeTable = (app: Hono): readonly TableEntry[] => tables.get(app) ?? []

export function createApp(options: AppOptions): Hono {
  const app = new Hono()
  const log = options.log ?? jsonLogger()
  const security = options.security ?? makeSecurity(options.registry.store.tokens, {}, { log })
  const guard = guards(security)
  const table: TableEntry[] = []

  // Every request passes here: request id and structured log line. Who may do what is decided
  // per route, by the guard the table installs with it.
  app.use(
    '*',
    middleware(async (c, next) => {
      // The client's id when a header can carry it back; REST routes refuse one that cannot (guard.ts).
      const requestId = replyId(c.req.header('x-request-id'))
      const started = performance.now()
      c.header('x-request-id', requestId)
      c.set('requestId', requestId)
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
    }),
  )

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

  /** Registers a REST route with its guard: no route without a scope. */
  const add = (prefix: string, route: Route, web: boolean) => {
    const path = joinPath(prefix, route.path)
    app.on(route.method, path, guard.rest(route, web), route.handler)
    table.push({ method: route.method, path, access: route.scope, upload: route.upload === true })
  }

  add(
    '',
    {
      method: 'GET',
      path: '/healthz',
      scope: 'public',
      handler: (c) => c.json({ status: 'ok', version: SLUICE_VERSION }),
    },
    false,
  )
  if (options.rest !== false) {
    const origins = [...security.web.corsOrigins]
    if (origins.length > 0)
      app.use(
        '/api/v1/*',
        middleware(
          cors({
            origin: origins,
            allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
            allowHeaders: ['authorization', 'content-type', 'x-request-id'],
            exposeHeaders: ['x-request-id'],
            maxAge: 600,
          }),
        ),
      )
    const rest = [
      ...modelRoutes(options.registry),
      ...datasetRoutes(options.registry, options.tmpDir),
      ...artifactRoutes(options.registry),
      ...deploymentRoutes(options.registry),
      ...rolloutRoutes(options.registry),
      ...tokenRoutes(options.registry.store.tokens, security.verifier),
    ]
    const api = rest.map((r) => ({ ...r, path: joinPath('/api/v1', r.path) }))
    add(
      '',
      {
        method: 'GET',
        path: '/openapi.json',
        scope: 'read',
        handler: (c) => c.json(withScopes(openApiDocument(), api)),
      },
      false,
    )
    for (const route of rest) add('/api/v1', route, true)
  }
  for (const m of options.modules ?? []) {
    for (const r of m.access) {
      const path = joinPath(m.prefix, r.path)
      const check = guard.module(r.access)
      if (check) app.on(r.method, path, check)
      table.push({ method: r.method, path, access: r.access, upload: false })
    }
    app.route(m.prefix, m.routes)
  }
  tables.set(app, table)
  return app
}
