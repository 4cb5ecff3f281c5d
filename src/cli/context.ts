import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { loadConfig, type ResolvedConfig } from '../core/config.js'
import type { LocalRegistry } from '../registry/local.js'
import type { Registry } from '../registry/types.js'

/** Options every command accepts (see main.ts). */
export interface GlobalOptions {
  home?: string
  config?: string
  server?: string
  json?: boolean
}

export function resolveConfig(opts: GlobalOptions): ResolvedConfig {
  return loadConfig({ cwd: process.cwd(), home: opts.home, configFile: opts.config })
}

/** The registry the command talks to: a running server with --server / SLUICE_SERVER, else the home. */
export async function openRegistry(opts: GlobalOptions): Promise<Registry> {
  const server = opts.server ?? process.env.SLUICE_SERVER
  // Loaded on demand: commands that never touch the registry (drift, data slice) start faster and smaller.
  if (server) return new (await import('../api/client.js')).HttpRegistry(server)
  return openLocal(resolveConfig(opts))
}

export async function openLocal(config: ResolvedConfig): Promise<LocalRegistry> {
  mkdirSync(config.home, { recursive: true })
  mkdirSync(path.dirname(config.store.path), { recursive: true })
  return (await import('../registry/local.js')).LocalRegistry.open(config)
}

/** Runs `fn` with the registry and always closes it. */
export async function withRegistry<T>(opts: GlobalOptions, fn: (r: Registry) => Promise<T>): Promise<T> {
  const registry = await openRegistry(opts)
  try {
    return await fn(registry)
  } finally {
    await registry.close()
  }
}

/**
 * Runs `fn` with a client of a running server (`--server URL` / SLUICE_SERVER) or of this home,
 * and always closes it: what the deployment and rollout commands share.
 */
export async function withClient<C extends { close(): Promise<void> }, T>(
  opts: GlobalOptions,
  make: { remote: (url: string) => Promise<C>; local: (registry: LocalRegistry) => Promise<C> },
  fn: (client: C) => Promise<T>,
): Promise<T> {
  const server = opts.server ?? process.env.SLUICE_SERVER
  const client = server ? await make.remote(server) : await make.local(await openLocal(resolveConfig(opts)))
  try {
    return await fn(client)
  } finally {
    await client.close()
  }
}
