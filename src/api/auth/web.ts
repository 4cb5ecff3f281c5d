/**
 * What keeps a web page from driving the REST API through its visitor's browser. Any page may
 * send a "simple" request to any address — GET, or a POST whose body is text/plain, a form, or
 * has no Content-Type — without asking first (no CORS preflight); and a page whose name it
 * rebinds to 127.0.0.1 (DNS rebinding) talks to a local server as if it were its own origin.
 * Pure functions; the guard (guard.ts) applies them.
 */

export const MUTATING: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** Host names of this machine that no DNS answer can stand for. */
const LOOPBACK_NAMES = new Set(['localhost', '[::1]'])
const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/

export interface WebRules {
  /** Host names (lower case, no port) allowed besides loopback ones, `server.allowed_hosts`; `*` allows any. */
  allowedHosts: ReadonlySet<string>
  /** Origins allowed besides the server's own, `api.cors_origins` (as `URL.origin` writes them). */
  corsOrigins: ReadonlySet<string>
}

/** The host name of a Host header value: lower case, without port or trailing dot; `[::1]` keeps its brackets. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase()
  const name = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d*$/, '')
  return name.endsWith('.') ? name.slice(0, -1) : name
}

export const isLoopbackName = (name: string): boolean => LOOPBACK_NAMES.has(name) || LOOPBACK_V4.test(name)

/**
 * Why a request's Host is refused, or null. A missing Host (HTTP/1.0) is no browser's. Every other
 * Host must be a loopback name or an allowed one: a rebound name (`evil.example` answering
 * 127.0.0.1) is neither.
 */
export function hostProblem(host: string | undefined, rules: WebRules): string | null {
  if (host === undefined) return null
  const name = hostName(host)
  if (isLoopbackName(name) || rules.allowedHosts.has(name) || rules.allowedHosts.has('*')) return null
  return `the request's Host "${host.slice(0, 100)}" is not a name of this server: a web page can reach a local server under a name it controls (DNS rebinding). Use localhost or 127.0.0.1, or add the name to server.allowed_hosts in sluice.yaml`
}

/**
 * Why a request's Origin is refused, or null: it must be absent (not a browser, or a same-origin
 * GET), the server's own (same host as the Host header), or one of `api.cors_origins`.
 */
export function originProblem(
  origin: string | undefined,
  host: string | undefined,
  rules: WebRules,
): string | null {
  if (origin === undefined) return null
  let url: URL | null = null
  try {
    url = new URL(origin)
  } catch {
    // `null` (sandboxed frames, files) and anything else that is not a URL: a foreign origin.
  }
  if (
    url &&
    ((host !== undefined && url.host === host.trim().toLowerCase()) || rules.corsOrigins.has(url.origin))
  )
    return null
  return `requests from the web page at ${origin.slice(0, 100)} are refused: a page may send requests to any address, and this API changes models and deployments. List its origin in api.cors_origins in sluice.yaml to allow it`
}

/** The media type of a Content-Type value: lower case, without parameters. */
export const mediaType = (contentType: string): string => contentType.split(';')[0]!.trim().toLowerCase()

/**
 * Why a mutating request's body is refused for its Content-Type, or null. A route takes JSON
 * (`application/json`) or, for uploads, `application/octet-stream`: both make a browser ask the
 * server first (a CORS preflight), which it refuses. A request that carries a body, or declares a
 * type, must declare the route's.
 */
export function contentTypeProblem(
  contentType: string | undefined,
  hasBody: boolean,
  upload: boolean,
): string | null {
  if (contentType === undefined && !hasBody) return null
  const want = upload ? 'application/octet-stream' : 'application/json'
  const got = contentType === undefined ? undefined : mediaType(contentType)
  if (got === want) return null
  return `this route takes a body of Content-Type ${want}, not ${got === undefined ? 'a body without Content-Type' : got.slice(0, 100)}; send ${upload ? 'the bytes' : 'JSON'} with that header (text/plain, forms and untyped bodies are refused: any web page can send those to this server)`
}

/** Whether a request carries a body (a length above 0, or chunked). */
export const hasBody = (contentLength: string | undefined, transferEncoding: string | undefined): boolean =>
  transferEncoding !== undefined || (contentLength !== undefined && Number(contentLength) > 0)

/** A URL's query holds a token: `access_token` (RFC 6750), `token`, or anything shaped like a sluice token. */
export function queryHasToken(query: URLSearchParams): boolean {
  if (query.has('access_token') || query.has('token')) return true
  for (const v of query.values()) if (/^slc_[A-Za-z0-9_-]{43}$/.test(v)) return true
  return false
}
