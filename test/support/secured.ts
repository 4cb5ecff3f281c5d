import { readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { logisticModel } from '../../scripts/onnx-fixtures.mjs'
import { createApp } from '../../src/api/app.js'
import { inferenceGate, type Security } from '../../src/api/auth/guard.js'
import { makeSecurity, type SecuritySettings } from '../../src/api/auth/security.js'
import { LocalTokens } from '../../src/api/auth/tokens.js'
import type { BodyLimits } from '../../src/api/body.js'
import { listen } from '../../src/api/server.js'
import { localActor } from '../../src/core/actor.js'
import { loadConfig } from '../../src/core/config.js'
import { LocalRegistry } from '../../src/registry/local.js'
import { deploy } from '../../src/serving/deploy.js'
import { startServing } from '../../src/serving/server.js'
import { tempDir } from './cli.js'

/** A server on 127.0.0.1 as `sluice server` wires it (REST API and model server), in this process. */
export interface Secured {
  url: string
  home: string
  registry: LocalRegistry
  security: Security
  /** Everything the server logged, one entry per line. */
  logs: Record<string, unknown>[]
  /** Creates a token on the home, as `sluice tokens create` does; returns its secret. */
  token(name: string, scope: string, expires?: string): Promise<string>
  /** How many blobs the artifact store holds. */
  blobs(): number
  close(): Promise<void>
}

/**
 * Home with model m (versions 1 and 2, the second "trained on inverted labels") and deployment d
 * answering with m@1, served on an ephemeral port of 127.0.0.1.
 */
export async function startSecured(
  settings: SecuritySettings = {},
  bodyLimits?: BodyLimits,
): Promise<Secured> {
  const home = tempDir('sluice-secured-')
  const registry = await LocalRegistry.open(loadConfig({ cwd: home, env: {} }))
  for (const [version, weight] of [
    [1, 0.01],
    [2, -0.01],
  ] as const) {
    const file = path.join(home, `m${version}.onnx`)
    writeFileSync(file, logisticModel({ features: ['distance'], weights: [weight] }))
    await registry.registerModelVersion({
      name: 'm',
      artifact: await registry.storeArtifact(file),
      flavor: 'onnx',
    })
  }
  await deploy(registry, 'm@1', 'd')
  const logs: Record<string, unknown>[] = []
  const log = (e: Record<string, unknown>) => logs.push(e)
  const security = makeSecurity(registry.store.tokens, settings, { log, pollMs: 50 })
  const serving = await startServing({
    registry,
    dir: path.join(home, 'serving'),
    pollMs: 50,
    log,
    gate: inferenceGate(security),
  })
  security.failures.expose(serving.metrics.registry)
  await security.verifier.start()
  const app = createApp({
    registry,
    tmpDir: path.join(home, 'tmp'),
    modules: [{ prefix: '/', routes: serving.routes, access: serving.access }],
    log,
    security,
    ...(bodyLimits && { bodyLimits }),
  })
  const server = await listen(app, '127.0.0.1', 0, serving.fastPath)
  for (let i = 0; i < 200 && !serving.table.get('d')?.current; i++)
    await new Promise((r) => setTimeout(r, 25))
  return {
    url: server.url,
    home,
    registry,
    security,
    logs,
    token: async (name, scope, expires) => {
      const doc = await new LocalTokens(registry.store.tokens, localActor()).create({ name, scope, expires })
      await security.verifier.refresh()
      return doc.token
    },
    blobs: () => readdirSync(path.join(home, '.sluice', 'artifacts', 'sha256'), { recursive: true }).length,
    close: async () => {
      security.verifier.stop()
      await server.close()
      await serving.close()
      await registry.close()
    },
  }
}
