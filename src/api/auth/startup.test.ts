import { describe, expect, it } from 'vitest'
import { bindsLoopbackOnly, boundName, isLoopbackAddress, type StartFacts, startPlan } from './startup.js'

const facts = (f: Partial<StartFacts>): StartFacts => ({
  rest: true,
  host: '127.0.0.1',
  loopback: true,
  hasTokens: false,
  insecureNoAuth: false,
  servingAuth: 'none',
  allowedHosts: [],
  ...f,
})

describe('where a server listens', () => {
  it('tells loopback addresses and names from the others', async () => {
    for (const ip of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(ip), ip).toBe(true)
    for (const ip of ['0.0.0.0', '::', '10.0.0.5', '::ffff:10.0.0.5', '128.0.0.1'])
      expect(isLoopbackAddress(ip), ip).toBe(false)
    expect(await bindsLoopbackOnly('localhost')).toBe(true)
    expect(await bindsLoopbackOnly('0.0.0.0')).toBe(false)
    expect(await bindsLoopbackOnly('::')).toBe(false)
    expect(await bindsLoopbackOnly('no-such-host.invalid')).toBe(false)
  })

  it('allows the address it binds as a Host, but not a wildcard', () => {
    expect(boundName('10.0.0.5')).toEqual(['10.0.0.5'])
    expect(boundName('fd00::5')).toEqual(['[fd00::5]'])
    expect(boundName('Sluice.Internal')).toEqual(['sluice.internal'])
    expect(boundName('0.0.0.0')).toEqual([])
    expect(boundName('::')).toEqual([])
  })
})

describe('start-up plan', () => {
  it('starts the REST API on loopback without tokens, quietly', () => {
    expect(startPlan(facts({}))).toEqual({ refuse: null, warnings: [], repeat: null })
  })

  it('refuses the REST API on another address without tokens, unless --insecure-no-auth (then warns every minute)', () => {
    const open = facts({ host: '0.0.0.0', loopback: false })
    expect(startPlan(open).refuse).toMatch(
      /^sluice server on 0\.0\.0\.0 \(not a loopback address\) needs API tokens/,
    )
    const insecure = startPlan({ ...open, insecureNoAuth: true })
    expect(insecure.refuse).toBeNull()
    expect(insecure.repeat).toMatch(/^INSECURE: no API token exists/)
    expect(startPlan({ ...open, hasTokens: true }).refuse).toBeNull()
    expect(startPlan({ ...open, hasTokens: true, insecureNoAuth: true }).warnings).toContain(
      '--insecure-no-auth has no effect: tokens exist on this home, so every request needs one',
    )
  })

  it('warns when a loopback server answers under other names (a proxy) while no token exists', () => {
    const proxied = facts({ allowedHosts: ['sluice.example.com'] })
    expect(startPlan(proxied).warnings).toEqual([
      expect.stringMatching(
        /^server\.allowed_hosts lets requests in under sluice\.example\.com, and no API token exists/,
      ),
    ])
    expect(startPlan({ ...proxied, hasTokens: true }).warnings).toEqual([])
  })

  it('starts sluice serve anywhere, saying once that inference is open with serving.auth: none', () => {
    const serve = startPlan(facts({ rest: false, host: '0.0.0.0', loopback: false }))
    expect(serve.refuse).toBeNull()
    expect(serve.repeat).toBeNull()
    expect(serve.warnings).toEqual([
      expect.stringMatching(/^serving\.auth is none: anyone who reaches 0\.0\.0\.0/),
    ])
    expect(startPlan(facts({ rest: false, servingAuth: 'token', hasTokens: true })).warnings).toEqual([])
    expect(startPlan(facts({ rest: false, servingAuth: 'token' })).warnings).toEqual([
      expect.stringMatching(/every inference request is refused until one is created/),
    ])
  })
})
