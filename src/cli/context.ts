import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { loadConfig, type ResolvedConfig } from '../core/config.js'
import { SluiceError } from '../core/errors.js'
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
  const from = config.homeFrom
  makeFolder(
    config.home,
    from.startsWith('-') || from === 'SLUICE_HOME' ? `${from} ${config.home}` : `${config.home} (${from})`,
  )
  makeFolder(path.dirname(config.store.path), `the folder of store.path ${config.store.path}`)
  return (await import('../registry/local.js')).LocalRegistry.open(config)
}

/** Creates a folder (and its parents); a file in the way is a usage error, not a crash. */
function makeFolder(dir: string, named: string): void {
  try {
    mkdirSync(dir, { recursive: true })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw e
    let file = dir
    while (!existsSync(file)) file = path.dirname(file)
    const where = file === dir ? 'is a file' : `is inside ${file}, which is a file`
    throw new SluiceError(
      'INVALID_CONFIG',
      `${named} ${where}, not a folder; point it at a folder, or at a path that does not exist yet (sluice creates it)`,
    )
  }
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
