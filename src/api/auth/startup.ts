import { lookup } from 'node:dns/promises'
import net from 'node:net'
import { hostName } from './web.js'

/** 127.0.0.0/8, ::1, and IPv4 loopback written as IPv6. */
export function isLoopbackAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip
  return (net.isIPv4(v4) && v4.startsWith('127.')) || ip === '::1'
}

/** Whether binding `host` listens on this machine only: an address, or a name whose every address is loopback. */
export async function bindsLoopbackOnly(host: string): Promise<boolean> {
  if (net.isIP(host)) return isLoopbackAddress(host)
  const addresses = await lookup(host, { all: true }).catch(() => [])
  return addresses.length > 0 && addresses.every((a) => isLoopbackAddress(a.address))
}

/** The host name requests reach a server bound to `host` by (allowed as a Host); none for a wildcard. */
export function boundName(host: string): string[] {
  if (host === '0.0.0.0' || host === '::' || host === '') return []
  return [hostName(net.isIPv6(host) ? `[${host}]` : host)]
}

export interface StartFacts {
  /** `sluice server` (the REST API) rather than `sluice serve` (inference only). */
  rest: boolean
  host: string
  loopback: boolean
  hasTokens: boolean
  insecureNoAuth: boolean
  servingAuth: 'none' | 'token'
  /** `server.allowed_hosts`: names other than loopback ones this server answers under. */
  allowedHosts: readonly string[]
}

export interface StartPlan {
  /** Why the server must not start, or null. */
  refuse: string | null
  /** Logged once at start. */
  warnings: string[]
  /** Logged at start and every minute for as long as no token exists. */
  repeat: string | null
}

/** What a starting server does about authentication (docs/security.md): pure. */
export function startPlan(f: StartFacts): StartPlan {
  const warnings: string[] = []
  let refuse: string | null = null
  let repeat: string | null = null
  if (f.rest && !f.loopback && !f.hasTokens) {
    if (f.insecureNoAuth)
      repeat = `INSECURE: no API token exists and --insecure-no-auth is given, so anyone who reaches ${f.host} can register models, move aliases and change deployments; create an admin token (\`sluice tokens create NAME --scope admin\`) to require tokens`
    else
      refuse = `sluice server on ${f.host} (not a loopback address) needs API tokens, or anyone who reaches it could change models and deployments: create an admin token first (\`sluice tokens create NAME --scope admin\`), bind 127.0.0.1, or pass --insecure-no-auth on a network you trust`
  }
  // Behind a proxy on the same machine every request comes from loopback, tokens or not.
  if (f.rest && f.loopback && !f.hasTokens && f.allowedHosts.length > 0)
    warnings.push(
      `server.allowed_hosts lets requests in under ${f.allowedHosts.join(', ')}, and no API token exists: behind a proxy, anyone who reaches it can change models and deployments; create an admin token (\`sluice tokens create NAME --scope admin\`)`,
    )
  if (f.insecureNoAuth && f.hasTokens)
    warnings.push('--insecure-no-auth has no effect: tokens exist on this home, so every request needs one')
  if (f.servingAuth === 'none' && (!f.rest || !f.loopback))
    warnings.push(
      `serving.auth is none: anyone who reaches ${f.host} can call the deployed models; set serving.auth: token in sluice.yaml to require an API token`,
    )
  if (f.servingAuth === 'token' && !f.hasTokens)
    warnings.push(
      'serving.auth is token but no API token exists on this home: every inference request is refused until one is created (`sluice tokens create`)',
    )
  return { refuse, warnings, repeat }
}
