import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { localActor } from '../../core/actor.js'
import { openSqliteStore } from '../../store/sqlite/open.js'
import type { Store } from '../../store/types.js'
import { authorize } from './guard.js'
import { hashToken, newSecret, TOKEN_PATTERN } from './secret.js'
import { LocalTokens } from './tokens.js'
import { TokenVerifier } from './verifier.js'

const stores: Store[] = []
afterEach(async () => {
  while (stores.length) await stores.pop()!.close()
})
async function open(file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sluice-auth-')), 'sluice.db')) {
  const s = await openSqliteStore(file)
  stores.push(s)
  return s
}

let clock = Date.parse('2026-01-01T00:00:00.000Z')
const now = () => clock
const tokensOf = (s: Store) =>
  new LocalTokens(s.tokens, localActor(), { clock: { now: () => new Date(clock) } })
const bearer = (token: string) => `Bearer ${token}`

describe('token secrets', () => {
  it('are slc_ and 32 random bytes in base64url, stored as the SHA-256 of the whole secret', () => {
    const a = newSecret()
    const b = newSecret()
    expect(a.token).toMatch(TOKEN_PATTERN)
    expect(Buffer.from(a.token.slice(4), 'base64url')).toHaveLength(32)
    expect(a.token).not.toBe(b.token)
    expect(a.id).toBe(a.token.slice(0, 12))
    expect(a.hash).toBe(hashToken(a.token).toString('hex'))
    expect(a.hash).not.toContain(a.token.slice(12))
  })
})

describe('token verifier', () => {
  it('knows a valid token by its actor, and refuses malformed, unknown, look-alike, expired and revoked ones', async () => {
    const s = await open()
    const root = await tokensOf(s).create({ name: 'root', scope: 'admin' })
    const ci = await tokensOf(s).create({ name: 'ci', scope: 'deploy', expires: '1h' })
    const v = new TokenVerifier(s.tokens, { now })
    await v.refresh()
    expect(v.check(bearer(root.token))).toEqual({ kind: 'token', name: 'root', scope: 'admin' })
    expect(v.check(`bearer   ${ci.token}`)).toEqual({ kind: 'token', name: 'ci', scope: 'deploy' })
    expect(v.check(root.token)).toMatchObject({ status: 401, reason: 'malformed' })
    expect(v.check('Basic dXNlcjpwYXNz')).toMatchObject({ status: 401, reason: 'malformed' })
    expect(v.check(bearer(newSecret().token))).toMatchObject({ status: 401, reason: 'unknown' })
    // The right id with a wrong rest: found by its id, refused by the hash.
    const lookAlike = root.token.slice(0, 12) + newSecret().token.slice(12)
    expect(v.check(bearer(lookAlike))).toMatchObject({ status: 401, reason: 'unknown' })
    expect(v.check(bearer(lookAlike))).not.toHaveProperty('token')

    clock += 3_600_000
    expect(v.check(bearer(ci.token))).toMatchObject({ status: 401, reason: 'expired', token: 'ci' })
    await tokensOf(s).create({ name: 'root2', scope: 'admin' })
    await tokensOf(s).revoke('root')
    await v.refresh()
    expect(v.check(bearer(root.token))).toMatchObject({ status: 401, reason: 'revoked', token: 'root' })
  })

  it('counts expired tokens as tokens (expiry never reopens a server), revoked ones not', async () => {
    const s = await open()
    const v = new TokenVerifier(s.tokens, { now })
    await v.refresh()
    expect(v.hasTokens).toBe(false)
    await tokensOf(s).create({ name: 'root', scope: 'admin', expires: '1m' })
    await v.refresh()
    clock += 120_000
    expect(v.hasTokens).toBe(true)
  })

  it('sees a token revoked by another process within its poll, and reads the store no more often', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sluice-auth-')), 'sluice.db')
    const server = await open(file)
    const other = await open(file)
    const root = await tokensOf(other).create({ name: 'root', scope: 'admin' })
    const ci = await tokensOf(other).create({ name: 'ci', scope: 'read' })
    const v = new TokenVerifier(server.tokens, { now, pollMs: 500 })
    await v.refresh()
    expect(v.check(bearer(ci.token))).toMatchObject({ kind: 'token' })
    // (Its last use is being written; two connections in one process must not write at once.)
    await new Promise((r) => setTimeout(r, 50))
    await tokensOf(other).revoke('ci')
    expect(v.fresh()).toBeNull() // read just now: the copy stands until the poll is due
    expect(v.check(bearer(ci.token))).toMatchObject({ kind: 'token' })
    clock += 500
    await v.fresh()
    expect(v.check(bearer(ci.token))).toMatchObject({ reason: 'revoked' })
    expect(v.check(bearer(root.token))).toMatchObject({ kind: 'token' })
  })

  it('writes a token’s last use at most once a minute', async () => {
    const s = await open()
    const root = await tokensOf(s).create({ name: 'root', scope: 'admin' })
    const v = new TokenVerifier(s.tokens, { now })
    await v.refresh()
    const lastUsed = async () => (await s.tokens.listTokens())[0]!.last_used_at
    const settle = () => new Promise((r) => setTimeout(r, 50))
    const first = clock
    v.check(bearer(root.token))
    await settle()
    expect(await lastUsed()).toBe(new Date(first).toISOString())
    clock += 59_000
    v.check(bearer(root.token))
    await settle()
    expect(await lastUsed()).toBe(new Date(first).toISOString())
    clock += 1_000
    v.check(bearer(root.token))
    await settle()
    expect(await lastUsed()).toBe(new Date(clock).toISOString())
  })
})

describe('authorize', () => {
  const noQuery = () => new URLSearchParams()
  it('lets a token of the scope or above in, refuses a weaker one with 403 naming both scopes', async () => {
    const s = await open()
    const root = await tokensOf(s).create({ name: 'root', scope: 'admin' })
    const reader = await tokensOf(s).create({ name: 'reader', scope: 'read' })
    const v = new TokenVerifier(s.tokens, { now })
    await v.refresh()
    expect(authorize('deploy', bearer(root.token), noQuery, v, true)).toMatchObject({ name: 'root' })
    expect(authorize('read', bearer(reader.token), noQuery, v, true)).toMatchObject({ name: 'reader' })
    expect(authorize('write', bearer(reader.token), noQuery, v, true)).toEqual({
      status: 403,
      reason: 'scope',
      token: 'reader',
      message: 'token "reader" has scope read; this request needs write (or a higher scope)',
    })
  })

  it('lets a request without a token in only while no token exists and the server allows it', async () => {
    const s = await open()
    const v = new TokenVerifier(s.tokens, { now })
    await v.refresh()
    expect(authorize('admin', undefined, noQuery, v, true)).toEqual({ kind: 'anonymous' })
    expect(authorize('admin', undefined, noQuery, v, false)).toMatchObject({ status: 401, reason: 'missing' })
    await tokensOf(s).create({ name: 'root', scope: 'admin' })
    await v.refresh()
    expect(authorize('read', undefined, noQuery, v, true)).toMatchObject({ status: 401, reason: 'missing' })
  })

  it('never reads a token from the query string, and says so', async () => {
    const s = await open()
    const root = await tokensOf(s).create({ name: 'root', scope: 'admin' })
    const v = new TokenVerifier(s.tokens, { now })
    await v.refresh()
    const query = () => new URLSearchParams({ access_token: root.token })
    expect(authorize('read', undefined, query, v, true)).toMatchObject({ status: 401, reason: 'query' })
  })
})
