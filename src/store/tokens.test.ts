import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Scope } from '../core/actor.js'
import { isSluiceError } from '../core/errors.js'
import { openSqliteStore } from './sqlite/open.js'
import type { Store, TokenRecord } from './types.js'

const stores: Store[] = []
afterEach(async () => {
  while (stores.length) await stores.pop()!.close()
})
async function open(file?: string): Promise<Store> {
  const s = await openSqliteStore(
    file ?? path.join(mkdtempSync(path.join(os.tmpdir(), 'sluice-tokens-')), 'sluice.db'),
  )
  stores.push(s)
  return s
}

const NOW = '2026-01-01T00:00:00.000Z'
let n = 0
const token = (name: string, scope: Scope, extra: Partial<TokenRecord> = {}) => ({
  token_id: `slc_id${String(++n).padStart(6, '0')}`,
  name,
  scope,
  hash: 'ab'.repeat(32),
  created_by: 'local:test',
  created_at: NOW,
  expires_at: null,
  ...extra,
})

async function refusal(p: Promise<unknown>) {
  try {
    await p
  } catch (e) {
    if (isSluiceError(e)) return { code: e.code, message: e.message }
    throw e
  }
  throw new Error('expected a refusal')
}

describe('token store', () => {
  it('keeps tokens with their hash, lists them oldest first and records the last use', async () => {
    const s = await open()
    const a = await s.tokens.createToken(token('root', 'admin'))
    await s.tokens.createToken(token('ci', 'deploy', { expires_at: '2027-01-01T00:00:00.000Z' }))
    await s.tokens.touchToken(a.token_id, '2026-01-02T00:00:00.000Z')
    const list = await s.tokens.listTokens()
    expect(list.map((t) => [t.name, t.scope, t.expires_at, t.last_used_at])).toEqual([
      ['root', 'admin', null, '2026-01-02T00:00:00.000Z'],
      ['ci', 'deploy', '2027-01-01T00:00:00.000Z', null],
    ])
    expect(list[0]).toMatchObject({ hash: 'ab'.repeat(32), created_by: 'local:test', revoked_at: null })
  })

  it('wants the first token to be admin, and the next one whenever no admin token can be used', async () => {
    const s = await open()
    expect(await refusal(s.tokens.createToken(token('reader', 'read')))).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('the next token must have scope admin'),
    })
    expect(await s.tokens.listTokens()).toEqual([])
    // An admin token that has expired does not count.
    await s.tokens.createToken(token('old', 'admin', { expires_at: '2025-12-31T00:00:00.000Z' }))
    expect((await refusal(s.tokens.createToken(token('reader', 'read')))).code).toBe('CONFLICT')
    await s.tokens.createToken(token('root', 'admin'))
    expect((await s.tokens.createToken(token('reader', 'read'))).scope).toBe('read')
  })

  it('refuses a name a live token holds, and gives a revoked token its name back', async () => {
    const s = await open()
    await s.tokens.createToken(token('root', 'admin'))
    await s.tokens.createToken(token('ci', 'write'))
    expect(await refusal(s.tokens.createToken(token('ci', 'read')))).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('a token named "ci" exists already'),
    })
    expect((await s.tokens.revokeToken('ci', NOW)).revoked_at).toBe(NOW)
    await s.tokens.createToken(token('ci', 'read'))
    expect((await s.tokens.listTokens()).map((t) => [t.name, t.scope, t.revoked_at])).toEqual([
      ['root', 'admin', null],
      ['ci', 'write', NOW],
      ['ci', 'read', null],
    ])
  })

  it('refuses to revoke the last admin token that can be used, or a token that is not there', async () => {
    const s = await open()
    await s.tokens.createToken(token('root', 'admin'))
    await s.tokens.createToken(token('ci', 'deploy'))
    expect(await refusal(s.tokens.revokeToken('root', NOW))).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('"root" is the last admin token'),
    })
    await s.tokens.createToken(token('root2', 'admin'))
    await s.tokens.revokeToken('root', NOW)
    expect((await refusal(s.tokens.revokeToken('root', NOW))).code).toBe('NOT_FOUND')
    expect((await refusal(s.tokens.revokeToken('nobody', NOW))).code).toBe('NOT_FOUND')
    expect((await refusal(s.tokens.revokeToken('root2', NOW))).code).toBe('CONFLICT')
    expect((await s.tokens.listTokens()).filter((t) => !t.revoked_at).map((t) => t.name)).toEqual([
      'ci',
      'root2',
    ])
  })

  it('changes its version when a token is created or revoked, in any process, and not on a use', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sluice-tokens-')), 'sluice.db')
    const a = await open(file)
    const b = await open(file)
    const v0 = await a.tokens.tokensVersion()
    const root = await b.tokens.createToken(token('root', 'admin'))
    const v1 = await a.tokens.tokensVersion()
    expect(v1).not.toBe(v0)
    await b.tokens.touchToken(root.token_id, NOW)
    expect(await a.tokens.tokensVersion()).toBe(v1)
    await b.tokens.createToken(token('ci', 'read'))
    const v2 = await a.tokens.tokensVersion()
    await b.tokens.revokeToken('ci', NOW)
    const v3 = await a.tokens.tokensVersion()
    expect(new Set([v0, v1, v2, v3]).size).toBe(4)
  })
})
