import type { Command } from 'commander'
import { SluiceError } from '../../core/errors.js'
import type { DeploymentRecord } from '../../store/types.js'
import { durationMs, positiveInt } from '../args.js'
import { openLocal, resolveConfig } from '../context.js'
import { makeOutput, table } from '../output.js'
import type { Runner } from '../run.js'

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
    .option('--json', 'print a sluice.deployment/v1 document')
    .action(
      run(async (o, cmd) => {
        const { deploy } = await import('../../serving/deploy.js')
        const registry = await openLocal(resolveConfig(o))
        try {
          const batching =
            o.batchSize === undefined
              ? null
              : {
                  max_rows: positiveInt(o.batchSize as string, '--batch-size'),
                  max_wait_ms: durationMs(o.batchWait as string, '--batch-wait'),
                }
          const { record, previous } = await deploy(registry, cmd.args[0]!, o.deployment as string, {
            batching,
          })
          makeOutput(Boolean(o.json)).result(
            deploymentDoc(record, previous),
            () =>
              `deployment ${record.name} → ${record.model}@${record.version}${record.alias ? ` (${record.alias})` : ''}${previous ? `, was ${previous.model}@${previous.version}` : ' (new)'}`,
          )
        } finally {
          await registry.close()
        }
      }),
    )

  const deployments = program.command('deployments').description('deployments and their history')
  deployments
    .command('list')
    .description('every deployment and the version answering it')
    .option('--json', 'print a sluice.deployment-list/v1 document')
    .action(
      run(async (o) => {
        const registry = await openLocal(resolveConfig(o))
        const items = await registry.store.deployments.listDeployments().finally(() => registry.close())
        makeOutput(Boolean(o.json)).result(
          { schema: 'sluice.deployment-list/v1', items: items.map((r) => deploymentDoc(r, null)) },
          () =>
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
        const name = cmd.args[0]!
        const registry = await openLocal(resolveConfig(o))
        try {
          const record = await registry.store.deployments.getDeployment(name)
          if (!record)
            throw new SluiceError(
              'NOT_FOUND',
              `deployment "${name}" not found; list them with \`sluice deployments list\``,
            )
          const history = await registry.store.deployments.history(
            name,
            positiveInt(o.limit as string, '--limit'),
          )
          makeOutput(Boolean(o.json)).result({ ...deploymentDoc(record, null), history }, () =>
            [
              `deployment ${record.name} → ${record.model}@${record.version}${record.alias ? ` (${record.alias})` : ''}`,
              '',
              table(
                ['AT', 'MODEL', 'VERSION', 'ALIAS', 'PREVIOUS'],
                history.map((h) => [
                  h.at,
                  h.model,
                  String(h.version),
                  h.alias ?? '-',
                  h.previous_version === null ? '-' : String(h.previous_version),
                ]),
              ),
            ].join('\n'),
          )
        } finally {
          await registry.close()
        }
      }),
    )
}

function deploymentDoc(r: DeploymentRecord, previous: DeploymentRecord | null) {
  return {
    schema: 'sluice.deployment/v1',
    name: r.name,
    model: r.model,
    version: r.version,
    alias: r.alias,
    batching: r.batching,
    revision: r.revision,
    created_at: r.created_at,
    updated_at: r.updated_at,
    ...(previous !== null && { previous: { model: previous.model, version: previous.version } }),
  }
}
