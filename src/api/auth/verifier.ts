import { timingSafeEqual } from 'node:crypto'
import type { Actor } from '../../core/actor.js'
import { isoAt } from '../../core/clock.js'
import type { TokenRecord, TokenStore } from '../../store/types.js'
import { bearerToken, hashToken, TOKEN_PATTERN, tokenId } from './secret.js'

/** Why a request was refused; the label of `sluice_auth_failures_total`. */
export type FailureReason = 'missing' | 'malformed' | 'unknown' | 'expired' | 'revoked' | 'query' | 'scope'

export interface Refusal {
  status: 401 | 403
  reason: FailureReason
  message: string
  /** The token's name, when the token is known (expired, revoked, too weak); never its secret. */
  token?: string
}

export type TokenActor = Extract<Actor, { kind: 'token' }>

interface Entry {
  id: string
  name: string
  hash: Buffer
  expiresMs: number | null
  expiresAt: string | null
  revokedAt: string | null
  actor: TokenActor
  /** When its last use was last written to the store. */
  touchedMs: number
}

/** A token's last use is written at most this often. */
const TOUCH_MS = 60_000

export const MISSING_TOKEN =
  'this server requires an API token: send it as "Authorization: Bearer slc_…" (the CLI sends SLUICE_TOKEN); an admin creates one with `sluice tokens create NAME --scope SCOPE`'

/**
 * Checks API tokens against an in-memory copy of the token table: one header read, one map
 * lookup by the token's id and one SHA-256 per request, no store access. The copy is read again
 * when the store's tokens version changes (polled every `pollMs` once started, so a token revoked
 * by another process on the same home stops working within that time); a token's last use is
 * written at most once a minute.
 */
export class TokenVerifier {
  private byId = new Map<string, Entry>()
  private live = 0
  private version: string | null = null
  private readAt = Number.NEGATIVE_INFINITY
  private reading: Promise<void> | null = null
  private timer: NodeJS.Timeout | null = null
  private readonly pollMs: number
  private readonly now: () => number
  private readonly log: (entry: Record<string, unknown>) => void

  constructor(
    private readonly store: TokenStore,
    options: { pollMs?: number; now?: () => number; log?: (entry: Record<string, unknown>) => void } = {},
  ) {
    this.pollMs = options.pollMs ?? 500
    this.now = options.now ?? Date.now
    this.log = options.log ?? (() => {})
  }

  /** Reads the tokens again if they changed; concurrent callers share one read. */
  refresh(): Promise<void> {
    this.reading ??= this.read().finally(() => {
      this.reading = null
    })
    return this.reading
  }

  /** A read to wait for when the copy is older than `pollMs`; null when it is fresh. */
  fresh(): Promise<void> | null {
    return this.now() - this.readAt < this.pollMs ? null : this.refresh()
  }

  /** Reads the tokens, then again every `pollMs` until `stop()`. */
  async start(): Promise<void> {
    await this.refresh()
    this.timer ??= setInterval(() => {
      this.refresh().catch((e) =>
        this.log({
          level: 'warn',
          msg: 'could not read the API tokens; the previous copy stays in use',
          error: (e as Error).message,
        }),
      )
    }, this.pollMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /**
   * Whether any token that is not revoked exists. Expired tokens count: a token expiring never
   * opens a server that required tokens.
   */
  get hasTokens(): boolean {
    return this.live > 0
  }

  /** The actor an `Authorization` header names, or why it is refused (401). */
  check(header: string): TokenActor | Refusal {
    const token = bearerToken(header)
    if (token === null || !TOKEN_PATTERN.test(token))
      return {
        status: 401,
        reason: 'malformed',
        message:
          'the Authorization header must be "Bearer slc_…", with the whole token sluice printed when it was created',
      }
    const entry = this.byId.get(tokenId(token))
    // Found by its id, the token must then match the stored hash in full (compared in constant time).
    if (!entry || !timingSafeEqual(entry.hash, hashToken(token)))
      return {
        status: 401,
        reason: 'unknown',
        message:
          'the token is not known to this server (mistyped, or created on another home); check SLUICE_TOKEN or the Authorization header',
      }
    if (entry.revokedAt !== null)
      return {
        status: 401,
        reason: 'revoked',
        token: entry.name,
        message: `token "${entry.name}" was revoked at ${entry.revokedAt}; ask an admin for a new one`,
      }
    const now = this.now()
    if (entry.expiresMs !== null && now >= entry.expiresMs)
      return {
        status: 401,
        reason: 'expired',
        token: entry.name,
        message: `token "${entry.name}" expired at ${entry.expiresAt}; ask an admin for a new one`,
      }
    if (now - entry.touchedMs >= TOUCH_MS) this.touch(entry, now)
    return entry.actor
  }

  private touch(entry: Entry, now: number): void {
    entry.touchedMs = now
    this.store.touchToken(entry.id, isoAt(now)).catch((e) =>
      this.log({
        level: 'warn',
        msg: `could not record the last use of token "${entry.name}"`,
        error: (e as Error).message,
      }),
    )
  }

  private async read(): Promise<void> {
    const started = this.now()
    const version = await this.store.tokensVersion()
    if (version !== this.version) {
      const rows = await this.store.listTokens()
      const byId = new Map<string, Entry>()
      for (const r of rows) byId.set(r.token_id, this.entry(r))
      this.byId = byId
      this.live = rows.filter((r) => r.revoked_at === null).length
      this.version = version
    }
    this.readAt = started
  }

  private entry(r: TokenRecord): Entry {
    const before = this.byId.get(r.token_id)
    return {
      id: r.token_id,
      name: r.name,
      hash: Buffer.from(r.hash, 'hex'),
      expiresMs: r.expires_at === null ? null : Date.parse(r.expires_at),
      expiresAt: r.expires_at,
      revokedAt: r.revoked_at,
      actor: { kind: 'token', name: r.name, scope: r.scope },
      // A use already written (by this process or, as the store says, another) is not written again soon.
      touchedMs: Math.max(before?.touchedMs ?? 0, r.last_used_at ? Date.parse(r.last_used_at) : 0),
    }
  }
}
