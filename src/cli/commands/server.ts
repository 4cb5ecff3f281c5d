import path from 'node:path'
import type { Command } from 'commander'
import { isoAt } from '../../core/clock.js'
import { SluiceError } from '../../core/errors.js'
import { jsonLogger } from '../../core/log.js'
import { openLocal, resolveConfig } from '../context.js'
import type { Runner } from '../run.js'

export function serverCommand(program: Command, run: Runner) {
  program
    .command('server')
    .description(
      'serve the REST API and model serving (Open Inference Protocol v2, /metrics) from one process',
    )
    .option('--host <host>', 'interface to bind (default 127.0.0.1, or server.host in sluice.yaml)')
    .option('--port <port>', 'port (default 8321, or server.port in sluice.yaml; 0 picks a free one)')
    .option('--json', 'print the listening address as JSON')
    .action(run(serveAction(true)))
  program
    .command('serve')
    .description(
      'serve the deployments only (Open Inference Protocol v2, the plain predict endpoint, /metrics)',
    )
    .option('--host <host>', 'interface to bind (default 127.0.0.1, or server.host in sluice.yaml)')
    .option('--port <port>', 'port (default 8321, or server.port in sluice.yaml; 0 picks a free one)')
    .option(
      '--model <file>',
      'serve this ONNX file as --deployment (registered in this home first); env SLUICE_MODEL_URI',
    )
    .option('--deployment <name>', 'with --model: the deployment it answers (env SLUICE_DEPLOYMENT)')
    .option(
      '--model-name <name>',
      'with --model: NAME or NAME@VERSION to register it as (default: the deployment; env SLUICE_MODEL)',
    )
    .option('--json', 'print the listening address as JSON')
    .action(run(serveAction(false)))
}

function serveAction(rest: boolean) {
  return async (o: {
    host?: string
    port?: string
    json?: boolean
    home?: string
    config?: string
    model?: string
    deployment?: string
    modelName?: string
  }) => {
    const config = resolveConfig(o)
    const port = o.port === undefined ? config.server.port : Number(o.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new SluiceError('USAGE', `--port must be a whole number from 0 to 65535, got "${o.port}"`)
    }
    const registry = await openLocal(config)
    const file = o.model ?? process.env.SLUICE_MODEL_URI
    if (file) {
      // A pinned pod: the file becomes the deployment's version before serving starts.
      const deployment = o.deployment ?? process.env.SLUICE_DEPLOYMENT
      if (!deployment)
        throw new SluiceError(
          'USAGE',
          '--model needs --deployment NAME (or SLUICE_DEPLOYMENT): the deployment it answers',
        )
      const { deployFile } = await import('../../serving/deploy.js')
      await deployFile(registry, {
        file,
        deployment,
        model: o.modelName ?? process.env.SLUICE_MODEL ?? deployment,
      })
    }
    const { createApp } = await import('../../api/app.js')
    const { listen } = await import('../../api/server.js')
    const { startServing } = await import('../../serving/server.js')
    const log = jsonLogger()
    const { streamCapacity, kernel, ...limits } = config.serving
    const serving = await startServing({
      registry,
      dir: path.join(config.home, 'serving'),
      limits,
      streamCapacity,
      kernel,
      log: (e) => log({ time: isoAt(Date.now()), ...e }),
    })
    // The rollouts of the deployments served here are analysed and decided in this process.
    const { RolloutController } = await import('../../rollout/controller.js')
    const rollouts = new RolloutController({
      registry,
      table: serving.table,
      observe: serving.observe,
      metrics: serving.metrics.registry,
      log: (e) => log({ time: isoAt(Date.now()), ...e }),
    })
    rollouts.start()
    const app = createApp({
      registry,
      tmpDir: path.join(config.home, 'tmp'),
      rest,
      modules: [{ prefix: '/', routes: serving.routes }],
      log,
      bodyLimits: { json: config.server.maxJsonBytes, upload: config.server.maxUploadBytes },
    })
    const server = await listen(app, o.host ?? config.server.host, port, serving.fastPath, {
      idleMs: config.server.idleTimeoutMs,
      headersMs: config.server.headersTimeoutMs,
    }).catch(async (e) => {
      // The port was taken (or not ours): stop what was started, so the command can exit 2.
      rollouts.stop()
      await serving.close()
      await registry.close()
      throw e
    })
    const line = o.json
      ? JSON.stringify({ schema: 'sluice.server/v1', url: server.url, home: config.home })
      : `sluice server listening on ${server.url} (home ${config.home})`
    process.stdout.write(`${line}\n`)
    const stop = async () => {
      rollouts.stop()
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
