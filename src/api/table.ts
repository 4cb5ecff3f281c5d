import type { Handler, MiddlewareHandler } from 'hono'
import type { Scope } from '../core/actor.js'

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * Who may call a route: anyone (`public`), a token of at least that scope, or — for the model
 * server's routes — what `serving.auth` says (`inference`: anyone with `none`, any valid token
 * with `token`). While no token exists, a server on loopback lets requests without one in.
 */
export type Access = 'public' | 'inference' | Scope

/**
 * One REST route, as `app.ts` registers it: the route cannot exist without saying who may call
 * it, and the guard that enforces it is installed with the handler (see auth/guard.ts).
 */
export interface Route {
  method: Method
  /** Hono path pattern under `/api/v1`. */
  path: string
  scope: Scope | 'public'
  /** Takes its body as `application/octet-stream`; every other route with a body takes JSON. */
  upload?: boolean
  handler: Handler
}

/**
 * A route another module mounts (`ServerModule`), as that module declares it; `ALL` for a
 * catch-all answering only errors (405, 404).
 */
export interface ModuleRoute {
  method: Method | 'ALL'
  /** Hono path pattern under the module's prefix. */
  path: string
  access: Access
}

/** One row of the scope table: every route the server answers. */
export interface TableEntry {
  method: Method | 'ALL'
  /** The whole Hono path pattern. */
  path: string
  access: Access
  upload: boolean
}

/** Middleware registered on the app (not routes); the scope-table test tells them apart with this. */
const middlewares = new WeakSet<object>()

export function middleware<M extends MiddlewareHandler>(fn: M): M {
  middlewares.add(fn)
  return fn
}

export const isMiddleware = (handler: unknown): boolean =>
  typeof handler === 'function' && middlewares.has(handler)

/** `/a/` + `/b` → `/a/b`; `/` + `/b` → `/b`. */
export const joinPath = (prefix: string, path: string): string => `${prefix.replace(/\/+$/, '')}${path}`
