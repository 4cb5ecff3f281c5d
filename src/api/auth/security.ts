import type { TokenStore } from '../../store/types.js'
import { AuthFailures } from './failures.js'
import type { Security } from './guard.js'
import { TokenVerifier } from './verifier.js'

/** Uploads taken at once unless `server.max_uploads` says otherwise. */
export const DEFAULT_MAX_UPLOADS = 4

export interface SecuritySettings {
  /** Let requests without a token in while no token exists (default true: a server on loopback). */
  anonymous?: boolean
  servingAuth?: 'none' | 'token'
  /** `server.allowed_hosts`. */
  allowedHosts?: readonly string[]
  /** `api.cors_origins`. */
  corsOrigins?: readonly string[]
  maxUploads?: number
}

/**
 * The security of a server over a home's token table: a verifier (not started: the caller starts
 * it when something must see revocations without a request, the model server's fast path), and
 * refusals counted (`failures.expose` shows the count on a `/metrics`) and logged.
 */
export function makeSecurity(
  tokens: TokenStore,
  settings: SecuritySettings = {},
  options: { log?: (entry: Record<string, unknown>) => void; pollMs?: number } = {},
): Security {
  const log = options.log ?? (() => {})
  return {
    verifier: new TokenVerifier(tokens, {
      log,
      ...(options.pollMs !== undefined && { pollMs: options.pollMs }),
    }),
    failures: new AuthFailures(log),
    anonymous: settings.anonymous ?? true,
    servingAuth: settings.servingAuth ?? 'none',
    web: {
      allowedHosts: new Set((settings.allowedHosts ?? []).map((h) => h.toLowerCase())),
      corsOrigins: new Set(settings.corsOrigins ?? []),
    },
    maxUploads: settings.maxUploads ?? DEFAULT_MAX_UPLOADS,
  }
}
