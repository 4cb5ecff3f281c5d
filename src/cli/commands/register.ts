import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { writeAtomically } from '../../core/atomic.js'
import { codeRevision, environmentFingerprint } from '../../core/environment.js'
import { SluiceError } from '../../core/errors.js'
import { sha256File } from '../../core/hash.js'
import { nestsDeeperThan, tooDeep } from '../../core/nesting.js'
import type { ModelVersionDoc } from '../../core/types.js'
import { SLUICE_VERSION } from '../../core/version.js'
import type { Registry } from '../../registry/types.js'
import { collect } from '../args.js'
import { openLocal, resolveConfig, withRegistry } from '../context.js'
import { makeOutput } from '../output.js'
import type { Runner } from '../run.js'

interface GateDoc {
  schema: 'sluice.gate/v1'
  passed: boolean
  rules: { name: string; passed: boolean }[]
}

/**
 * `sluice register`: the pipeline's registration step. Registers a model only when its gate
 * result passed, with its lineage: run id, datasets, params, metrics, gate outcome, code, environment.
 */
export function registerCommand(program: Command, run: Runner) {
  program
    .command('register')
    .description('register a model that passed its gates, with the lineage of the pipeline run that made it')
    .argument('<model>', 'the .onnx file')
    .requiredOption('--name <name>', 'model name')
    .requiredOption('--gate <file>', 'the sluice.gate/v1 result of `sluice gate --out`; must have passed')
    .option('--evaluation <file>', 'the sluice.evaluation/v1 document: its metrics and dataset are recorded')
    .option('--data <file>', 'training data, recorded as a dataset version (repeatable)', collect, [])
    .option('--alias <alias>', 'also point this alias at the new version')
    .option('--out <file>', 'write the model-version document here')
    .option('--json', 'print the model-version document')
    .action(
      run(async (o, cmd) => {
        const model = cmd.args[0]!
        const out = makeOutput(Boolean(o.json))
        const gate = readJson<GateDoc>(o.gate as string, 'sluice.gate/v1')
        if (!gate.passed) {
          const failed = gate.rules.filter((r) => !r.passed).map((r) => r.name)
          process.stderr.write(
            `sluice: not registering ${model}: the gates failed (${failed.join(', ') || 'see the gate result'})\n`,
          )
          process.exitCode = 1
          return
        }
        const evaluation = o.evaluation
          ? readJson<{
              metrics: Record<string, unknown>
              dataset: { path: string }
              model: { size_bytes: number }
            }>(o.evaluation as string, 'sluice.evaluation/v1')
          : null
        const runId = process.env.SLUICE_RUN_ID ?? null
        const params = runId ? await runParams(o, runId) : {}
        const { inspectModel } = await import('../../models/inspect.js')
        const { signature } = await inspectModel(model, 'onnx')
        const dataName = (file: string) =>
          path
            .basename(file)
            .replace(/\.[^.]+$/, '')
            .replace(/[^A-Za-z0-9._-]/g, '-')
        const doc = await withRegistry(o, async (r) => {
          // Re-running a pipeline whose model did not change must not register the same model again:
          // the version that holds it stands, and the alias is pointed at it.
          const existing = await versionHolding(r, o.name as string, (await sha256File(model)).digest)
          if (existing) {
            const alias = o.alias as string | undefined
            const moved = alias !== undefined && !existing.aliases.includes(alias)
            if (moved) await r.setAlias(existing.name, alias, existing.version)
            return {
              version: moved ? await r.getModelVersion(`${existing.name}@${existing.version}`) : existing,
              created: false,
              alias: alias ? { name: alias, moved } : null,
            }
          }
          const datasets: { ref: string; role: 'train' | 'eval' }[] = []
          for (const file of o.data as string[]) {
            const ds = await r.addDataset(dataName(file), file)
            datasets.push({ ref: `${ds.name}@${ds.version}`, role: 'train' })
          }
          if (evaluation) {
            const ds = await r.addDataset(dataName(evaluation.dataset.path), evaluation.dataset.path)
            datasets.push({ ref: `${ds.name}@${ds.version}`, role: 'eval' })
          }
          const version = await r.registerModelVersion({
            name: o.name as string,
            artifact: await r.storeArtifact(model),
            flavor: 'onnx',
            signature,
            metrics: evaluation
              ? Object.fromEntries(
                  Object.entries(evaluation.metrics).filter(
                    (e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]),
                  ),
                )
              : {},
            params,
            tags: {
              'gate.passed': 'true',
              'gate.rules': `${gate.rules.filter((x) => x.passed).length}/${gate.rules.length}`,
              ...(runId && { 'sluice.run_id': runId }),
              ...(process.env.SLUICE_STAGE && { 'sluice.stage': process.env.SLUICE_STAGE }),
              'sluice.model_path': path
                .relative(process.cwd(), path.resolve(model))
                .split(path.sep)
                .join('/'),
            },
            datasets,
            run_id: runId,
            code: codeRevision(process.cwd()),
            environment: environmentFingerprint(process.cwd(), SLUICE_VERSION),
          })
          if (o.alias) await r.setAlias(version.name, o.alias as string, version.version)
          return {
            version: await r.getModelVersion(`${version.name}@${version.version}`),
            created: true,
            alias: null,
          }
        })
        const resolved = doc.version
        if (o.out)
          await writeAtomically(o.out as string, (tmp) =>
            writeFile(tmp, `${JSON.stringify(resolved, null, 2)}\n`),
          )
        const ref = `${resolved.name}@${resolved.version}`
        out.result(resolved, () =>
          doc.created
            ? `registered ${ref} (${resolved.artifact.digest})`
            : `${ref} already holds this model (${resolved.artifact.digest}): nothing registered${
                doc.alias ? `; ${doc.alias.name} ${doc.alias.moved ? 'moved to' : 'points at'} ${ref}` : ''
              }`,
        )
      }),
    )
}

/**
 * The version of `name` (neither archived nor rejected) whose artifact has this digest, if any;
 * the newest versions are looked at first.
 */
async function versionHolding(r: Registry, name: string, digest: string): Promise<ModelVersionDoc | null> {
  let token: string | undefined
  do {
    const page = await r.searchModelVersions({
      name,
      statuses: ['candidate', 'production'],
      limit: PAGE,
      ...(token !== undefined && { page_token: token }),
    })
    const found = page.items.find((v) => v.artifact.digest === digest)
    if (found) return found
    token = page.next_page_token ?? undefined
  } while (token !== undefined)
  return null
}

const PAGE = 100

function readJson<T>(file: string, schema: string): T {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new SluiceError('UNREADABLE_FILE', `${file} cannot be read as JSON (${(e as Error).message})`)
  }
  if (nestsDeeperThan(doc)) throw new SluiceError('INVALID_INPUT', tooDeep(file))
  if ((doc as { schema?: unknown })?.schema !== schema)
    throw new SluiceError('INVALID_INPUT', `${file} is not a ${schema} document`)
  return doc as T
}

/** The params.yaml values of the run, flattened to dotted keys. */
async function runParams(o: Parameters<typeof resolveConfig>[0], runId: string) {
  if (o.server ?? process.env.SLUICE_SERVER) return {}
  const registry = await openLocal(resolveConfig(o))
  try {
    const rec = await registry.store.pipeline.getRun(runId)
    const out: Record<string, string | number | boolean | null> = {}
    const walk = (v: unknown, prefix: string) => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v))
        for (const [k, x] of Object.entries(v)) walk(x, prefix ? `${prefix}.${k}` : k)
      else if (prefix)
        out[prefix] =
          v === null || ['string', 'number', 'boolean'].includes(typeof v) ? (v as never) : JSON.stringify(v)
    }
    walk(rec?.pipeline.params ?? {}, '')
    return out
  } finally {
    await registry.close()
  }
}
