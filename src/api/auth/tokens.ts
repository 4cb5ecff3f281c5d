import { type Actor, actorName, SCOPES, type Scope } from '../../core/actor.js'
import { type Clock, systemClock } from '../../core/clock.js'
import { DURATION_EXAMPLES, parseDuration } from '../../core/duration.js'
import { SluiceError } from '../../core/errors.js'
import { checkName } from '../../registry/names.js'
import type { TokenRecord, TokenStore } from '../../store/types.js'
import { newSecret } from './secret.js'

/** A token as `sluice tokens` prints it (`sluice.token/v1`); never its secret, except once at creation. */
export interface TokenDoc {
  schema: 'sluice.token/v1'
  name: string
  scope: Scope
  /** `slc_` and the secret's first 8 characters: tells tokens apart, is not enough to use one. */
  id: string
  status: 'active' | 'expired' | 'revoked'
  created_by: string
  created_at: string
  expires_at: string | null
  last_used_at: string | null
  revoked_at: string | null
}

/** What `tokens create` answers: the token and, this once, its secret. */
export type CreatedTokenDoc = TokenDoc & { token: string }

export interface TokenListDoc {
  schema: 'sluice.token-list/v1'
  items: Omit<TokenDoc, 'schema'>[]
}

export interface NewToken {
  name: string
  scope: string
  /** How long it works (`90d`, `12h`); null or absent: until revoked. */
  expires?: string | null | undefined
}

/** Token management, on the home (`LocalTokens`) or over REST (`HttpTokens`, admin scope). */
export interface Tokens {
  create(input: NewToken): Promise<CreatedTokenDoc>
  list(): Promise<TokenListDoc>
  revoke(name: string): Promise<TokenDoc>
  close(): Promise<void>
}

/** Tokens of the home's store, created and revoked by `actor`. */
export class LocalTokens implements Tokens {
  constructor(
    private readonly store: TokenStore,
    private readonly actor: Actor,
    private readonly options: { clock?: Clock; close?: () => Promise<void> } = {},
  ) {}

  private get now(): Date {
    return (this.options.clock ?? systemClock).now()
  }

  async create(input: NewToken): Promise<CreatedTokenDoc> {
    const name = checkName('token', input.name)
    if (!(SCOPES as readonly string[]).includes(input.scope))
      throw new SluiceError(
        'INVALID_INPUT',
        `scope must be one of ${SCOPES.join(', ')} (each includes the ones before it), got "${input.scope}"`,
      )
    const now = this.now
    let expiresAt: string | null = null
    if (input.expires != null) {
      const ms = parseDuration(input.expires)
      if (ms === null || ms <= 0)
        throw new SluiceError(
          'INVALID_INPUT',
          `expires must be a duration such as ${DURATION_EXAMPLES} (or 90d), got "${input.expires}"`,
        )
      expiresAt = new Date(now.getTime() + ms).toISOString()
    }
    const secret = newSecret()
    const record = await this.store.createToken({
      token_id: secret.id,
      name,
      scope: input.scope as Scope,
      hash: secret.hash,
      created_by: actorName(this.actor),
      created_at: now.toISOString(),
      expires_at: expiresAt,
    })
    return { ...tokenDoc(record, now), token: secret.token }
  }

  async list(): Promise<TokenListDoc> {
    const now = this.now
    const items = (await this.store.listTokens()).map((r) => {
      const { schema: _, ...doc } = tokenDoc(r, now)
      return doc
    })
    return { schema: 'sluice.token-list/v1', items }
  }

  async revoke(name: string): Promise<TokenDoc> {
    const now = this.now
    return tokenDoc(await this.store.revokeToken(name, now.toISOString()), now)
  }

  async close(): Promise<void> {
    await this.options.close?.()
  }
}

export function tokenDoc(r: TokenRecord, now: Date): TokenDoc {
  const status = r.revoked_at
    ? 'revoked'
    : r.expires_at !== null && Date.parse(r.expires_at) <= now.getTime()
      ? 'expired'
      : 'active'
  return {
    schema: 'sluice.token/v1',
    name: r.name,
    scope: r.scope,
    id: r.token_id,
    status,
    created_by: r.created_by,
    created_at: r.created_at,
    expires_at: r.expires_at,
    last_used_at: r.last_used_at,
    revoked_at: r.revoked_at,
  }
}
