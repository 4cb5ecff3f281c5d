import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { codeRevision, environmentFingerprint } from '../../core/environment.js'
import { SluiceError } from '../../core/errors.js'
import type { ModelStatus, ModelVersionDoc } from '../../core/types.js'
import { SLUICE_VERSION } from '../../core/version.js'
import { inspectModel } from '../../models/inspect.js'
import { formatBytes } from '../../registry/card.js'
import { collect, keyValue, numberMap, positiveInt, scalarMap, stringMap } from '../args.js'
import { withRegistry } from '../context.js'
import { keyValues, makeOutput, table } from '../output.js'
import type { Runner } from '../run.js'

export function modelsCommand(program: Command, run: Runner) {
  const models = program.command('models').description('register, find, alias and describe model versions')

  models
    .command('register')
    .description('register a new version of a model (its number is the next free one)')
    .argument('<name>', 'model name')
    .requiredOption('--artifact <path>', 'model file or folder to store')
    .requiredOption('--flavor <flavor>', 'model format (onnx)')
    .option('--metric <key=value>', 'a metric (repeatable)', collect, [])
    .option('--param <key=value>', 'a parameter (repeatable)', collect, [])
    .option('--tag <key=value>', 'a tag (repeatable)', collect, [])
    .option('--dataset <name@version>', 'dataset version it was trained on (repeatable)', collect, [])
    .option('--eval-dataset <name@version>', 'dataset version it was evaluated on (repeatable)', collect, [])
    .option('--parent <version>', 'version of the same model it was derived from')
    .option('--run-id <id>', 'pipeline run that produced it')
    .option('--description <text>', 'free text')
    .option('--json', 'print the model-version document')
    .action(
      run(async (o, cmd) => {
        const [name] = cmd.args as [string]
        const out = makeOutput(Boolean(o.json))
        const { signature } = await inspectModel(o.artifact as string, o.flavor as string)
        const doc = await withRegistry(o, async (r) => {
          out.progress(`storing ${o.artifact}…`)
          const artifact = await r.storeArtifact(o.artifact as string)
          return r.registerModelVersion({
            name,
            artifact,
            flavor: o.flavor as string,
            signature,
            metrics: numberMap(o.metric as string[], 'metric'),
            params: scalarMap(o.param as string[], 'param'),
            tags: stringMap(o.tag as string[], 'tag'),
            description: (o.description as string | undefined) ?? null,
            datasets: [
              ...(o.dataset as string[]).map((ref) => ({ ref, role: 'train' as const })),
              ...(o.evalDataset as string[]).map((ref) => ({ ref, role: 'eval' as const })),
            ],
            run_id: (o.runId as string | undefined) ?? null,
            code: codeRevision(process.cwd()),
            environment: environmentFingerprint(process.cwd(), SLUICE_VERSION),
            parent_version: o.parent === undefined ? null : positiveInt(o.parent as string, '--parent'),
          })
        })
        out.result(doc, () => `registered ${doc.name}@${doc.version} (${doc.artifact.digest})`)
      }),
    )

  models
    .command('list')
    .description('search model versions, newest first')
    .option('--name <name>', 'exact model name')
    .option('--prefix <prefix>', 'model name prefix')
    .option('--alias <alias>', 'versions holding this alias')
    .option('--tag <key=value>', 'versions with this tag (repeatable; all must match)', collect, [])
    .option('--status <status>', 'candidate, production, archived or rejected (repeatable)', collect, [])
    .option('--where <conditions>', 'metric conditions, e.g. "accuracy>0.8 and log_loss<0.5"')
    .option('--limit <n>', 'page size (default 100)')
    .option('--page-token <token>', 'next_page_token of the previous page')
    .option('--json', 'print a model-version-list document')
    .action(
      run(async (o) => {
        const out = makeOutput(Boolean(o.json))
        const doc = await withRegistry(o, (r) =>
          r.searchModelVersions({
            ...(o.name !== undefined && { name: o.name as string }),
            ...(o.prefix !== undefined && { prefix: o.prefix as string }),
            ...(o.alias !== undefined && { alias: o.alias as string }),
            ...(o.where !== undefined && { where: o.where as string }),
            ...(o.pageToken !== undefined && { page_token: o.pageToken as string }),
            ...(o.limit !== undefined && { limit: positiveInt(o.limit as string, '--limit') }),
            tags: stringMap(o.tag as string[], 'tag'),
            statuses: (o.status as string[]).flatMap((s) => s.split(',')) as ModelStatus[],
          }),
        )
        out.result(doc, () => {
          if (doc.items.length === 0) return 'no model versions match'
          const rows = doc.items.map((v) => [
            `${v.name}@${v.version}`,
            v.status,
            v.aliases.join(',') || '-',
            Object.entries(v.metrics)
              .slice(0, 4)
              .map(([k, x]) => `${k}=${round(x)}`)
              .join(' ') || '-',
            v.created_at,
          ])
          const more = doc.next_page_token ? `\nmore: --page-token ${doc.next_page_token}` : ''
          return table(['VERSION', 'STATUS', 'ALIASES', 'METRICS', 'CREATED'], rows) + more
        })
      }),
    )

  models
    .command('show')
    .description('show one version')
    .argument('<ref>', 'NAME@VERSION, NAME@latest or NAME@ALIAS')
    .option('--json', 'print the model-version document')
    .action(
      run(async (o, cmd) => {
        const out = makeOutput(Boolean(o.json))
        const doc = await withRegistry(o, (r) => r.getModelVersion(cmd.args[0]!))
        out.result(doc, () => describeVersion(doc))
      }),
    )

  models
    .command('alias')
    .description('point an alias (e.g. champion) at a version; moves atomically if it existed')
    .argument('<name>', 'model name')
    .argument('<alias>', 'alias name')
    .argument('<version>', 'version number')
    .option('--force', 'point it at a rejected version all the same')
    .option('--json', 'print an alias document')
    .action(
      run(async (o, cmd) => {
        const [name, alias, version] = cmd.args as [string, string, string]
        const out = makeOutput(Boolean(o.json))
        const doc = await withRegistry(o, (r) =>
          r.setAlias(name, alias, positiveInt(version, 'version'), { force: Boolean(o.force) }),
        )
        out.result(doc, () =>
          doc.previous_version !== null && doc.previous_version !== doc.version
            ? `${name}@${alias} moved from version ${doc.previous_version} to ${doc.version}`
            : `${name}@${alias} → version ${doc.version}`,
        )
      }),
    )

  models
    .command('unalias')
    .description('remove an alias')
    .argument('<name>', 'model name')
    .argument('<alias>', 'alias name')
    .option('--json', 'print an alias document')
    .action(
      run(async (o, cmd) => {
        const [name, alias] = cmd.args as [string, string]
        const out = makeOutput(Boolean(o.json))
        const doc = await withRegistry(o, (r) => r.deleteAlias(name, alias))
        out.result(doc, () => `removed ${name}@${alias} (was version ${doc.previous_version})`)
      }),
    )

  models
    .command('tag')
    .description('set tags on a version (KEY=VALUE ...) and remove others (--remove KEY)')
    .argument('<ref>', 'NAME@REF')
    .argument('[tags...]', 'KEY=VALUE pairs')
    .option('--remove <key>', 'tag to remove (repeatable)', collect, [])
    .option('--json', 'print the model-version document')
    .action(
      run(async (o, cmd) => {
        const [ref, ...pairs] = cmd.args as [string, ...string[]]
        if (pairs.length === 0 && (o.remove as string[]).length === 0) {
          throw new SluiceError('USAGE', 'give at least one KEY=VALUE to set or --remove KEY')
        }
        const set = Object.fromEntries(pairs.map((p) => keyValue(p, 'tag')))
        const out = makeOutput(Boolean(o.json))
        const doc = await withRegistry(o, (r) => r.tagModelVersion(ref, set, o.remove as string[]))
        out.result(doc, () => `${doc.name}@${doc.version} tags: ${formatMap(doc.tags)}`)
      }),
    )

  models
    .command('archive')
    .description(
      'archive a version (it stays stored and readable, but is no longer `latest`); refused while it holds an alias or answers a deployment',
    )
    .argument('<ref>', 'NAME@REF')
    .option('--reason <text>', 'why')
    .option('--json', 'print the model-version document')
    .action(
      run(async (o, cmd) => {
        const out = makeOutput(Boolean(o.json))
        const doc = await withRegistry(o, (r) =>
          r.setModelStatus(cmd.args[0]!, 'archived', (o.reason as string) ?? null),
        )
        out.result(doc, () => `archived ${doc.name}@${doc.version}`)
      }),
    )

  models
    .command('download')
    .description("write a version's artifact (file or folder) to a path that does not exist yet, verified")
    .argument('<ref>', 'NAME@REF')
    .requiredOption('--out <path>', 'destination (must not exist)')
    .option('--json', 'print the model-version document')
    .action(
      run(async (o, cmd) => {
        const out = makeOutput(Boolean(o.json))
        const doc = await withRegistry(o, async (r) => {
          const v = await r.getModelVersion(cmd.args[0]!)
          out.progress(`downloading ${v.artifact.digest}…`)
          await r.fetchArtifact(v.artifact, o.out as string)
          return v
        })
        out.result(
          doc,
          () => `wrote ${doc.name}@${doc.version} (${formatBytes(doc.artifact.size)}) to ${o.out}`,
        )
      }),
    )

  models
    .command('card')
    .description('print the model card (Markdown) of a version')
    .argument('<ref>', 'NAME@REF')
    .option('--out <file>', 'write the card to a file instead')
    .option('--json', 'print a model-card document')
    .action(
      run(async (o, cmd) => {
        const out = makeOutput(Boolean(o.json))
        const ref = cmd.args[0]!
        const [markdown, v] = await withRegistry(
          o,
          async (r) => [await r.modelCard(ref), await r.getModelVersion(ref)] as const,
        )
        if (o.out) await writeFile(o.out as string, markdown)
        out.result({ schema: 'sluice.model-card/v1', name: v.name, version: v.version, markdown }, () =>
          o.out ? `wrote ${o.out}` : markdown,
        )
      }),
    )
}

function describeVersion(v: ModelVersionDoc): string {
  const datasets = v.lineage.datasets.map((d) => `${d.role}: ${d.name}@${d.version}`).join(', ')
  return keyValues([
    ['version', `${v.name}@${v.version}`],
    ['status', v.status_reason ? `${v.status} (${v.status_reason})` : v.status],
    ['aliases', v.aliases.join(', ') || '-'],
    ['artifact', `${v.artifact.digest} (${formatBytes(v.artifact.size)}, ${v.artifact.kind})`],
    ['flavor', v.flavor],
    ['inputs', v.signature?.inputs.map((t) => `${t.name}:${t.datatype}`).join(', ') || '-'],
    ['outputs', v.signature?.outputs.map((t) => `${t.name}:${t.datatype}`).join(', ') || '-'],
    ['metrics', formatMap(v.metrics)],
    ['params', formatMap(v.params)],
    ['tags', formatMap(v.tags)],
    ['datasets', datasets || '-'],
    ['parent', v.lineage.parent_version === null ? '-' : String(v.lineage.parent_version)],
    ['code', v.lineage.code ? `${v.lineage.code.commit}${v.lineage.code.dirty ? ' (dirty)' : ''}` : '-'],
    ['description', v.description ?? '-'],
    ['created', v.created_at],
  ])
}

const round = (x: number) => String(Number(x.toPrecision(4)))

function formatMap(m: Record<string, unknown>): string {
  const entries = Object.entries(m)
  return entries.length
    ? entries.map(([k, v]) => `${k}=${typeof v === 'number' ? round(v) : v}`).join(' ')
    : '-'
}
