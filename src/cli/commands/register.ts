import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { writeAtomically } from '../../core/atomic.js'
import { codeRevision, environmentFingerprint } from '../../core/environment.js'
import { SluiceError } from '../../core/errors.js'
import { sha256File } from '../../core/hash.js'
import { nestsDeeperThan, tooDeep } from '../../core/nesting.js'
import { SLUICE_VERSION } from '../../core/version.js'
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
          // Re-running a pipeline whose model did not change must not register the same model again.
          if (o.alias) {
            const current = await r.getModelVersion(`${o.name}@${o.alias}`).catch(() => null)
            const digest = (await sha256File(model)).digest
            if (current && current.artifact.digest === digest) return { version: current, created: false }
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
          return { version: await r.getModelVersion(`${version.name}@${version.version}`), created: true }
        })
        const resolved = doc.version
        if (o.out)
          await writeAtomically(o.out as string, (tmp) =>
            writeFile(tmp, `${JSON.stringify(resolved, null, 2)}\n`),
          )
        out.result(
          resolved,
          () => `registered ${resolved.name}@${resolved.version} (${resolved.artifact.digest})`,
        )
      }),
    )
}

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
