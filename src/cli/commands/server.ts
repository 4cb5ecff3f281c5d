import path from 'node:path'
import type { Command } from 'commander'
import { isoAt } from '../../core/clock.js'
import { SluiceError } from '../../core/errors.js'
import { jsonLogger } from '../../core/log.js'
import { parseModelRef } from '../../registry/refs.js'
import { openLocal, resolveConfig } from '../context.js'
import type { Runner } from '../run.js'

const HOST_HELP = 'interface to bind (env SLUICE_HOST; default server.host in sluice.yaml, else 127.0.0.1)'
const PORT_HELP = 'port (env SLUICE_PORT; default server.port in sluice.yaml, else 8321; 0 picks a free one)'

export function serverCommand(program: Command, run: Runner) {
  program
    .command('server')
    .description(
      'serve the REST API and model serving (Open Inference Protocol v2, /metrics) from one process',
    )
    .option('--host <host>', HOST_HELP)
    .option('--port <port>', PORT_HELP)
    .option(
      '--insecure-no-auth',
      'on an address other than loopback, start without any API token (anyone who reaches it can change everything; warned every minute)',
    )
    .option('--json', 'print the listening address as JSON')
    .action(run(serveAction(true)))
  program
    .command('serve')
    .description(
      'serve the deployments only (Open Inference Protocol v2, the plain predict endpoint, /metrics)',
    )
    .argument(
      '[model]',
      'NAME@REF to serve: resolved in this home at start, loaded and checked, and deployed as --deployment (default: NAME)',
    )
    .option('--host <host>', HOST_HELP)
    .option('--port <port>', PORT_HELP)
    .option(
      '--model <file>',
      'serve this ONNX file as --deployment (registered in this home first); env SLUICE_MODEL_URI',
    )
    .option(
      '--deployment <name>',
      'with NAME@REF or --model: the deployment it answers (env SLUICE_DEPLOYMENT)',
    )
    .option(
      '--model-name <name>',
      'with --model: NAME or NAME@VERSION to register it as (default: the deployment; env SLUICE_MODEL)',
    )
    .option('--json', 'print the listening address as JSON')
    .action(run(serveAction(false)))
}

function serveAction(rest: boolean) {
  return async (
    o: {
      host?: string
      port?: string
      json?: boolean
      home?: string
      config?: string
      model?: string
      deployment?: string
      modelName?: string
      insecureNoAuth?: boolean
    },
    cmd: Command,
  ) => {
    const config = resolveConfig(o)
    const host = o.host ?? process.env.SLUICE_HOST ?? config.server.host
    const port = listenPort(o.port, process.env.SLUICE_PORT, config.server.port)
    const start = startDeployment(cmd.args[0], o)
    const registry = await openLocal(config)
    if (start) {
      const { deploy, deployFile } = await import('../../serving/deploy.js')
      try {
        // A pinned image or pod: the version is resolved (or the file registered), loaded and
        // checked before anything listens; one that does not load stops the start.
        if (start.kind === 'ref') await deploy(registry, start.ref, start.deployment)
        else await deployFile(registry, start)
      } catch (e) {
        await registry.close()
        throw e
      }
    }
    const { createApp } = await import('../../api/app.js')
    const { listen } = await import('../../api/server.js')
    const { startServing } = await import('../../serving/server.js')
    const { makeSecurity } = await import('../../api/auth/security.js')
    const { inferenceGate } = await import('../../api/auth/guard.js')
    const { bindsLoopbackOnly, boundName, startPlan } = await import('../../api/auth/startup.js')
    const log = jsonLogger()
    const stamped = (e: Record<string, unknown>) => log({ time: isoAt(Date.now()), ...e })
    const loopback = await bindsLoopbackOnly(host)
    const insecureNoAuth = rest && o.insecureNoAuth === true
    const security = makeSecurity(
      registry.store.tokens,
      {
        // Without tokens: the REST API lets requests in on loopback or when told to; `serve` has
        // no REST API, and its inference is what serving.auth says.
        anonymous: !rest || loopback || insecureNoAuth,
        servingAuth: config.serving.auth,
        allowedHosts: [...config.server.allowedHosts, ...boundName(host)],
        corsOrigins: config.api.corsOrigins,
        maxUploads: config.server.maxUploads,
      },
      { log: stamped },
    )
    await security.verifier.start()
    const plan = startPlan({
      rest,
      host,
      loopback,
      hasTokens: security.verifier.hasTokens,
      insecureNoAuth,
      servingAuth: config.serving.auth,
      allowedHosts: config.server.allowedHosts,
    })
    if (plan.refuse) {
      security.verifier.stop()
      await registry.close()
      throw new SluiceError('USAGE', plan.refuse)
    }
    const { streamCapacity, kernel, auth: _, ...limits } = config.serving
    const serving = await startServing({
      registry,
      dir: path.join(config.home, 'serving'),
      limits,
      streamCapacity,
      kernel,
      log: stamped,
      gate: inferenceGate(security),
    })
    security.failures.expose(serving.metrics.registry)
    // The rollouts of the deployments served here are analysed and decided in this process.
    const { RolloutController } = await import('../../rollout/controller.js')
    const rollouts = new RolloutController({
      registry,
      table: serving.table,
      observe: serving.observe,
      metrics: serving.metrics.registry,
      log: stamped,
    })
    rollouts.start()
    const app = createApp({
      registry,
      tmpDir: path.join(config.home, 'tmp'),
      rest,
      modules: [{ prefix: '/', routes: serving.routes, access: serving.access }],
      log,
      bodyLimits: {
        json: config.server.maxJsonBytes,
        upload: config.server.maxUploadBytes,
        jsonTimeoutMs: config.server.bodyTimeoutMs,
      },
      security,
    })
    const server = await listen(app, host, port, serving.fastPath, {
      idleMs: config.server.idleTimeoutMs,
      headersMs: config.server.headersTimeoutMs,
    }).catch(async (e) => {
      // The port was taken (or not ours): stop what was started, so the command can exit 2.
      rollouts.stop()
      security.verifier.stop()
      await serving.close()
      await registry.close()
      throw e
    })
    // Said once listening (a start that fails says only why).
    for (const warning of plan.warnings) stamped({ level: 'warn', msg: warning })
    if (plan.repeat) {
      const repeat = plan.repeat
      stamped({ level: 'warn', msg: repeat })
      // Every minute, for as long as no token exists (one created later turns authentication on).
      setInterval(() => {
        if (!security.verifier.hasTokens) stamped({ level: 'warn', msg: repeat })
      }, 60_000).unref()
    }
    const line = o.json
      ? JSON.stringify({ schema: 'sluice.server/v1', url: server.url, home: config.home })
      : `sluice server listening on ${server.url} (home ${config.home})`
    process.stdout.write(`${line}\n`)
    const stop = async () => {
      rollouts.stop()
      security.verifier.stop()
      await server.close()
      await serving.close()
      await registry.close()
      process.exit(0)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    await new Promise(() => {}) // serve until a signal arrives
  }
}

/** The port: --port, else SLUICE_PORT, else sluice.yaml's server.port. */
function listenPort(flag: string | undefined, env: string | undefined, configured: number): number {
  const [given, source] =
    flag !== undefined ? [flag, '--port'] : env !== undefined ? [env, 'SLUICE_PORT'] : []
  if (given === undefined) return configured
  const port = /^\d+$/.test(given) ? Number(given) : Number.NaN
  if (!Number.isInteger(port) || port > 65535)
    throw new SluiceError('USAGE', `${source} must be a whole number from 0 to 65535, got "${given}"`)
  return port
}

type StartDeployment =
  | { kind: 'ref'; ref: string; deployment: string }
  | { kind: 'file'; file: string; deployment: string; model: string }

/**
 * What `sluice serve` deploys before it listens: a registered version (`serve NAME@REF`), an ONNX
 * file (`--model FILE` / SLUICE_MODEL_URI), or nothing (the deployments already in the store).
 */
function startDeployment(
  ref: string | undefined,
  o: { model?: string; deployment?: string; modelName?: string },
): StartDeployment | null {
  const file = o.model ?? process.env.SLUICE_MODEL_URI
  const deployment = o.deployment ?? process.env.SLUICE_DEPLOYMENT
  if (ref !== undefined) {
    if (file !== undefined)
      throw new SluiceError(
        'USAGE',
        `serve either a registered version (${ref}) or a file (--model / SLUICE_MODEL_URI), not both`,
      )
    if (o.modelName !== undefined)
      throw new SluiceError('USAGE', '--model-name names a --model file; a NAME@REF is registered already')
    return { kind: 'ref', ref, deployment: deployment ?? parseModelRef(ref).name }
  }
  if (file === undefined) return null
  if (!deployment)
    throw new SluiceError(
      'USAGE',
      '--model needs --deployment NAME (or SLUICE_DEPLOYMENT): the deployment it answers',
    )
  return { kind: 'file', file, deployment, model: o.modelName ?? process.env.SLUICE_MODEL ?? deployment }
}
