import type { IncomingMessage } from 'node:http'
import type { Context, MiddlewareHandler } from 'hono'
import { type Actor, ANONYMOUS, type Scope, scopeIncludes } from '../../core/actor.js'
import { SluiceError, toErrorDocument } from '../../core/errors.js'
import type { InferenceGate } from '../../serving/fast-path.js'
import { quoteId, replyId, requestIdProblem } from '../../serving/protocol/request-id.js'
import { type Access, middleware } from '../table.js'
import type { AuthFailures, RefusedRequest } from './failures.js'
import { MISSING_TOKEN, type Refusal, type TokenVerifier } from './verifier.js'
import {
  contentTypeProblem,
  hasBody,
  hostProblem,
  MUTATING,
  originProblem,
  queryHasToken,
  type WebRules,
} from './web.js'

/** How the server decides who may do what (see docs/security.md). */
export interface Security {
  verifier: TokenVerifier
  failures: AuthFailures
  /**
   * While no token exists, requests without one are let in: a server bound to loopback (the
   * laptop), `--insecure-no-auth`, `sluice serve`. Once a token exists, never.
   */
  anonymous: boolean
  /** Inference (and the model server's protocol routes): `none` anyone, `token` any valid token. */
  servingAuth: 'none' | 'token'
  web: WebRules
  /** Uploads taken at once (`server.max_uploads`); more: 503. */
  maxUploads: number
}

/** The scope a route needs now, or null when anyone may call it. */
export function neededScope(access: Access, servingAuth: Security['servingAuth']): Scope | null {
  if (access === 'public') return null
  if (access === 'inference') return servingAuth === 'token' ? 'infer' : null
  return access
}

/**
 * Who sends a request that needs `need`, or why it is refused. The Authorization header decides
 * when there is one; without it the request is anonymous, let in only while no token exists on a
 * server that allows it (`anonymous`). A token in the query string is never read: a request with
 * one and no header is refused, so a client learns at once that it is not accepted there.
 */
export function authorize(
  need: Scope,
  header: string | undefined,
  query: () => URLSearchParams,
  verifier: TokenVerifier,
  anonymous: boolean,
): Actor | Refusal {
  if (header !== undefined) {
    const checked = verifier.check(header)
    if ('status' in checked) return checked
    if (scopeIncludes(checked.scope, need)) return checked
    return {
      status: 403,
      reason: 'scope',
      token: checked.name,
      message: `token "${checked.name}" has scope ${checked.scope}; this request needs ${need} (or a higher scope)`,
    }
  }
  if (queryHasToken(query()))
    return {
      status: 401,
      reason: 'query',
      message:
        'a token in the URL is not read (URLs end up in logs, proxies and browser history); send it as "Authorization: Bearer slc_…"',
    }
  if (anonymous && !verifier.hasTokens) return ANONYMOUS
  return { status: 401, reason: 'missing', message: MISSING_TOKEN }
}

/** The WWW-Authenticate header of a refusal (RFC 6750). */
export function challenge(refusal: Refusal, need: Scope): string {
  if (refusal.status === 403) return `Bearer realm="sluice", error="insufficient_scope", scope="${need}"`
  if (refusal.reason === 'missing' || refusal.reason === 'query') return 'Bearer realm="sluice"'
  return 'Bearer realm="sluice", error="invalid_token"'
}

const remoteOf = (c: Context): string | undefined =>
  (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket?.remoteAddress

/** The guards the route table installs in front of each handler. */
export function guards(s: Security) {
  let uploads = 0

  /** Authenticates and authorizes; returns the refusal's response, or null after setting the actor. */
  async function admit(c: Context, need: Scope, anonymous: boolean, shape: 'rest' | 'protocol') {
    await s.verifier.fresh()
    const found = authorize(
      need,
      c.req.header('authorization'),
      () => new URL(c.req.url).searchParams,
      s.verifier,
      anonymous,
    )
    if (!('status' in found)) {
      c.set('actor', found)
      return null
    }
    const requestId = c.get('requestId') ?? replyId(c.req.header('x-request-id'))
    const request: RefusedRequest = { method: c.req.method, path: c.req.path, remote: remoteOf(c), requestId }
    s.failures.record(found, request)
    const headers = { 'www-authenticate': challenge(found, need), 'x-request-id': requestId }
    const code = found.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN'
    return shape === 'rest'
      ? c.json(toErrorDocument(new SluiceError(code, found.message)), found.status, headers)
      : c.json({ error: found.message }, found.status, headers)
  }

  return {
    /**
     * A REST route's guard: the request id checked as the model server checks it; under `/api/v1`
     * (`web`) the Host, a mutating request's Origin and its body's Content-Type; the token and its
     * scope; and the cap on uploads running at once.
     */
    rest(route: { scope: Scope | 'public'; upload?: boolean }, web: boolean): MiddlewareHandler {
      return middleware(async (c, next) => {
        const id = c.req.header('x-request-id')
        const idProblem = id ? requestIdProblem(id) : null
        if (idProblem)
          throw new SluiceError('INVALID_INPUT', `header x-request-id ${quoteId(id!)} ${idProblem}`)
        const mutating = MUTATING.has(c.req.method)
        if (web) {
          const host = c.req.header('host')
          const problem =
            hostProblem(host, s.web) ?? (mutating ? originProblem(c.req.header('origin'), host, s.web) : null)
          if (problem) throw new SluiceError('FORBIDDEN', problem)
        }
        if (route.scope !== 'public') {
          const refused = await admit(c, route.scope, s.anonymous, 'rest')
          if (refused) return refused
        }
        if (web && mutating) {
          const body = hasBody(c.req.header('content-length'), c.req.header('transfer-encoding'))
          const problem = contentTypeProblem(c.req.header('content-type'), body, route.upload === true)
          if (problem)
            throw new SluiceError('UNSUPPORTED_FORMAT', `${c.req.method} ${c.req.path}: ${problem}`)
        }
        if (!route.upload) return next()
        if (uploads >= s.maxUploads)
          return c.json(
            toErrorDocument(
              new SluiceError(
                'OVERLOADED',
                `the server is taking ${s.maxUploads} uploads already (server.max_uploads); try again shortly`,
              ),
            ),
            503,
            { 'retry-after': '1' },
          )
        uploads++
        try {
          await next()
        } finally {
          uploads--
        }
      })
    },

    /** A mounted module's route: its token and scope only, refused in the protocol's `{"error"}` shape. */
    module(access: Access): MiddlewareHandler | null {
      const need = neededScope(access, s.servingAuth)
      if (need === null) return null
      // serving.auth: token asks for a token even while none exists (fail closed).
      const anonymous = access !== 'inference' && s.anonymous
      return middleware(async (c, next) => {
        const refused = await admit(c, need, anonymous, 'protocol')
        if (refused) return refused
        return next()
      })
    },
  }
}

/**
 * The model server's fast-path check for `serving.auth: token` (any valid token); undefined for
 * `none`, so the fast path does nothing. Reads the verifier's copy as it is: the verifier must be
 * started (it then stays at most its poll interval behind the store).
 */
export function inferenceGate(s: Security): InferenceGate | undefined {
  if (s.servingAuth === 'none') return undefined
  return (req) => {
    const header = req.headers.authorization
    const url = req.url ?? '/'
    const found = authorize('infer', header, () => new URL(url, 'http://x').searchParams, s.verifier, false)
    if (!('status' in found)) return null
    const requestId = replyId(req.headers['x-request-id'] as string | undefined)
    s.failures.record(found, {
      method: req.method ?? 'POST',
      path: url.split('?')[0]!,
      remote: req.socket.remoteAddress,
      requestId,
    })
    return {
      status: found.status,
      message: found.message,
      headers: { 'www-authenticate': challenge(found, 'infer'), 'x-request-id': requestId },
    }
  }
}
