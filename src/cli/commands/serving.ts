import type { Command } from 'commander'
import { SluiceError } from '../../core/errors.js'
import type { Deployments } from '../../serving/deploy.js'
import { durationMs, positiveInt } from '../args.js'
import { type GlobalOptions, withClient } from '../context.js'
import { makeOutput, table } from '../output.js'
import type { Runner } from '../run.js'
import { describeRollout, withRollouts } from './rollout.js'

/** `sluice deploy`, `sluice deployments list|show`. */
export function servingCommands(program: Command, run: Runner) {
  program
    .command('deploy')
    .description('make a registered version the one answering a deployment (checked by loading it first)')
    .argument('<model>', 'NAME@REF; an alias is resolved now and recorded')
    .requiredOption('--deployment <name>', 'deployment to point at it (created if new)')
    .option(
      '--batch-size <rows>',
      'turn on micro-batching: stack concurrent requests up to this many rows per model call',
    )
    .option(
      '--batch-wait <duration>',
      'with --batch-size: longest a request waits for others (default 2ms)',
      '2ms',
    )
    .option(
      '--strategy <kind>',
      'roll the version out progressively: canary, shadow or ab (the deployment keeps its stable version until promotion)',
    )
    .option(
      '--steps <weights>',
      "canary: percentages to step through (default 10,25,50,100); shadow: share mirrored (default 100); ab: the arm's weight",
    )
    .option(
      '--pause <duration>',
      'time at each step before the next, e.g. 30s, 5m (default 30s); manual waits for `sluice rollout promote`',
    )
    .option(
      '--analysis <file>',
      'YAML with the analysis rules (default: error rate, p99 latency and prediction drift against the stable)',
    )
    .option('--sticky-key <field>', 'keep each entity on one version: a request field, or header:NAME')
    .option('--force', 'deploy (or roll out) a version that was rejected all the same')
    .option(
      '--strategy-file <file>',
      'YAML with the whole rollout (strategy, steps, analysis, sticky_key, A/B arms and test)',
    )
    .option('--json', 'print a sluice.deployment/v1 document (sluice.rollout/v1 with --strategy)')
    .action(
      run(async (o, cmd) => {
        if (o.strategy !== undefined || o.strategyFile !== undefined) return startRollout(o, cmd.args[0]!)
        const batching =
          o.batchSize === undefined
            ? null
            : {
                max_rows: positiveInt(o.batchSize as string, '--batch-size'),
                max_wait_ms: durationMs(o.batchWait as string, '--batch-wait'),
              }
        const doc = await withDeployments(o, (d) =>
          d.deploy(cmd.args[0]!, o.deployment as string, { batching, force: Boolean(o.force) }),
        )
        makeOutput(Boolean(o.json)).result(
          doc,
          () =>
            `deployment ${doc.name} → ${doc.model}@${doc.version}${doc.alias ? ` (${doc.alias})` : ''}${doc.previous ? `, was ${doc.previous.model}@${doc.previous.version}` : ' (new)'}`,
        )
      }),
    )

  const deployments = program.command('deployments').description('deployments and their history')
  deployments
    .command('list')
    .description('every deployment and the version answering it')
    .option('--json', 'print a sluice.deployment-list/v1 document')
    .action(
      run(async (o) => {
        const items = await withDeployments(o, (d) => d.list())
        makeOutput(Boolean(o.json)).result({ schema: 'sluice.deployment-list/v1', items }, () =>
          items.length === 0
            ? 'no deployments yet; create one with `sluice deploy NAME@REF --deployment NAME`'
            : table(
                ['DEPLOYMENT', 'MODEL', 'VERSION', 'ALIAS', 'UPDATED'],
                items.map((r) => [r.name, r.model, String(r.version), r.alias ?? '-', r.updated_at]),
              ),
        )
      }),
    )
  deployments
    .command('show')
    .description('one deployment and its history of versions')
    .argument('<name>', 'deployment')
    .option('--limit <n>', 'history entries (default 20)', '20')
    .option('--json', 'print a sluice.deployment/v1 document with its history')
    .action(
      run(async (o, cmd) => {
        const limit = positiveInt(o.limit as string, '--limit')
        const doc = await withDeployments(o, (d) => d.show(cmd.args[0]!, limit))
        makeOutput(Boolean(o.json)).result(doc, () =>
          [
            `deployment ${doc.name} → ${doc.model}@${doc.version}${doc.alias ? ` (${doc.alias})` : ''}`,
            '',
            table(
              ['AT', 'MODEL', 'VERSION', 'ALIAS', 'PREVIOUS'],
              doc.history.map((h) => [
                h.at,
                h.model,
                String(h.version),
                h.alias ?? '-',
                h.previous_version === null ? '-' : String(h.previous_version),
              ]),
            ),
          ].join('\n'),
        )
      }),
    )
}

async function startRollout(o: GlobalOptions & Record<string, unknown>, ref: string) {
  if (o.strategy !== undefined && !['canary', 'shadow', 'ab'].includes(o.strategy as string))
    throw new SluiceError('USAGE', `--strategy must be canary, shadow or ab, got "${o.strategy}"`)
  if (o.batchSize !== undefined)
    throw new SluiceError(
      'USAGE',
      "--batch-size applies to a plain deploy; a rollout keeps the deployment's batching",
    )
  const doc = await withRollouts(o, (r) =>
    r.start(
      ref,
      o.deployment as string,
      {
        strategy: o.strategy as 'canary' | undefined,
        steps: o.steps as string | undefined,
        pause: o.pause as string | undefined,
        stickyKey: o.stickyKey as string | undefined,
        analysisFile: o.analysis as string | undefined,
        strategyFile: o.strategyFile as string | undefined,
      },
      { force: Boolean(o.force) },
    ),
  )
  makeOutput(Boolean(o.json)).result(doc, () => describeRollout(doc))
}

/** Deployments of a running server (`--server URL` / SLUICE_SERVER), else of this home. */
function withDeployments<T>(o: GlobalOptions, fn: (d: Deployments) => Promise<T>): Promise<T> {
  return withClient<Deployments, T>(
    o,
    {
      remote: async (url) => new (await import('../../api/client.js')).HttpDeployments(url),
      local: async (registry) => (await import('../../serving/deploy.js')).localDeployments(registry),
    },
    fn,
  )
}
