import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { writeAtomically } from '../../core/atomic.js'
import { codeRevision, environmentFingerprint } from '../../core/environment.js'
import { SluiceError } from '../../core/errors.js'
import { sha256Bytes } from '../../core/hash.js'
import { SLUICE_VERSION } from '../../core/version.js'
import { parseYamlWith } from '../../core/yaml.js'
import { loadFrame } from '../../data/load.js'
import { writeFrame } from '../../data/write.js'
import { collect, positiveInt, scalarMap } from '../args.js'
import { type GlobalOptions, withRegistry } from '../context.js'
import { modelFile } from '../model-file.js'
import { keyValues, makeOutput, table } from '../output.js'
import { progressBar } from '../progress.js'
import type { Runner } from '../run.js'

const list = (s?: string) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)

/** `sluice train`, `sluice predict`, `sluice evaluate`. */
export function modelWorkCommands(program: Command, run: Runner) {
  program
    .command('train')
    .description(
      'train a built-in model (gbdt, logistic, linear) and export it as one ONNX graph over the raw columns',
    )
    .requiredOption('--algo <algo>', 'gbdt, logistic (binary classification) or linear (regression)')
    .requiredOption('--data <file>', 'training data (CSV, TSV, JSONL, Parquet)')
    .requiredOption('--target <col>', 'column to predict')
    .requiredOption('--features <cols>', 'comma-separated feature columns')
    .option('--categorical <cols>', 'numeric columns to treat as categories')
    .option('--task <task>', 'classification or regression (default: from the target)')
    .option('--params <file>', 'parameters as YAML (names as scikit-learn’s)')
    .option('--param <key=value>', 'one parameter (repeatable; wins over --params)', collect, [])
    .option('--seed <n>', 'random seed (default 0)', '0')
    .requiredOption('--out <file>', 'where to write the .onnx file')
    .option('--register <name>', 'also register the model as a new version of NAME, with its lineage')
    .option(
      '--dataset <name>',
      'dataset name for the training data when registering (default: the file name)',
    )
    .option('--json', 'print a sluice.train/v1 document')
    .action(
      run(async (o) => {
        const out = makeOutput(Boolean(o.json))
        const { train } = await import('../../models/train.js')
        const { checkAlgorithm } = await import('../../models/params.js')
        const algo = checkAlgorithm(o.algo as string)
        if (o.task !== undefined && o.task !== 'classification' && o.task !== 'regression') {
          throw new SluiceError('USAGE', `--task must be classification or regression, got "${o.task}"`)
        }
        const fromFile = o.params
          ? parseYamlWith(
              z.record(z.string(), z.unknown()),
              readParams(o.params as string),
              o.params as string,
            )
          : {}
        const params = { ...fromFile, ...scalarMap(o.param as string[], 'param') }
        const seed = Number(o.seed)
        if (!Number.isSafeInteger(seed) || seed < 0)
          throw new SluiceError('USAGE', `--seed must be a whole number, got "${o.seed}"`)
        out.progress(`reading ${o.data}…`)
        const { frame } = await loadFrame(o.data as string)
        const bar = progressBar(`training ${algo}`, !o.json)
        const t0 = performance.now()
        const result = train(frame, {
          algo,
          target: o.target as string,
          features: list(o.features as string),
          categorical: list(o.categorical as string | undefined),
          ...(o.task !== undefined && { task: o.task as 'classification' | 'regression' }),
          params,
          seed,
          onProgress: bar.update,
        })
        bar.done()
        const seconds = (performance.now() - t0) / 1000
        await writeAtomically(o.out as string, (tmp) => writeFile(tmp, result.onnx))
        const registered = o.register ? await register(o, result, o.register as string) : null
        const doc = {
          schema: 'sluice.train/v1',
          algo,
          task: result.task,
          out: o.out,
          digest: sha256Bytes(result.onnx),
          size_bytes: result.onnx.length,
          seed,
          params: result.params,
          rows: { train: result.trainRows, validation: result.validationRows },
          iterations: result.iterations,
          seconds: Math.round(seconds * 1000) / 1000,
          metrics: result.metrics,
          registered,
        }
        out.result(doc, () =>
          [
            `trained ${algo} (${result.task}) in ${seconds.toFixed(1)} s: ${result.iterations} iteration(s), ${result.trainRows.toLocaleString('en-US')} training rows`,
            `validation (${result.validationRows.toLocaleString('en-US')} rows): ${formatMetrics(result.metrics)}`,
            `wrote ${o.out} (${result.onnx.length.toLocaleString('en-US')} bytes, ${doc.digest})`,
            ...(registered ? [`registered ${registered.name}@${registered.version}`] : []),
          ].join('\n'),
        )
      }),
    )

  program
    .command('predict')
    .description('batch prediction: run a model over a data file and write the predictions')
    .argument('<model>', 'NAME@REF, or a path to an .onnx file')
    .requiredOption('--data <file>', 'rows to predict (CSV, TSV, JSONL, Parquet)')
    .requiredOption('--out <file>', 'predictions file (format by extension)')
    .option('--id <col>', 'id column to keep beside the predictions')
    .option('--json', 'print a sluice.predict/v1 document')
    .action(
      run(async (o, cmd) => {
        const out = makeOutput(Boolean(o.json))
        const m = await modelFile(cmd.args[0]!, o)
        try {
          const { predictFrameToFrame } = await import('../../models/predict.js')
          out.progress(`reading ${o.data}…`)
          const { frame } = await loadFrame(o.data as string)
          const t0 = performance.now()
          const predictions = await predictFrameToFrame(m.file, frame, o.id as string | undefined)
          const seconds = (performance.now() - t0) / 1000
          await writeFrame(predictions, o.out as string)
          const doc = {
            schema: 'sluice.predict/v1',
            model: { name: m.name, version: m.version },
            data: o.data,
            out: o.out,
            rows: frame.rows,
            columns: predictions.columns.map((c) => c.name),
            seconds: Math.round(seconds * 1000) / 1000,
          }
          out.result(
            doc,
            () =>
              `wrote ${frame.rows.toLocaleString('en-US')} predictions to ${o.out} in ${seconds.toFixed(2)} s (${doc.columns.join(', ')})`,
          )
        } finally {
          await m.cleanup()
        }
      }),
    )

  program
    .command('evaluate')
    .description(
      'metrics of a model on labelled data (overall and per slice), its size and single-row latency',
    )
    .argument('<model>', 'NAME@REF, or a path to an .onnx file')
    .requiredOption('--data <file>', 'labelled data')
    .requiredOption('--target <col>', 'the true values')
    .option('--slice-by <col>', 'also compute the metrics per value of this column (repeatable)', collect, [])
    .option('--predictions-out <file>', 'write the per-row predictions (with their row ids) here')
    .option('--id <col>', 'row id column for --predictions-out (default: the row number)')
    .option('--latency-samples <n>', 'rows timed one at a time (default 200)')
    .option('--out <file>', 'also write the evaluation JSON to a file')
    .option('--json', 'print the sluice.evaluation/v1 document')
    .action(
      run(async (o, cmd) => {
        const out = makeOutput(Boolean(o.json))
        const m = await modelFile(cmd.args[0]!, o)
        try {
          const { evaluateModel } = await import('../../models/evaluate.js')
          out.progress(`evaluating on ${o.data}…`)
          const doc = await evaluateModel({
            modelFile: m.file,
            model: { name: m.name, version: m.version },
            dataFile: o.data as string,
            target: o.target as string,
            sliceBy: o.sliceBy as string[],
            ...(o.predictionsOut !== undefined && { predictionsOut: o.predictionsOut as string }),
            ...(o.id !== undefined && { idColumn: o.id as string }),
            ...(o.latencySamples !== undefined && {
              latencySamples: positiveInt(o.latencySamples as string, '--latency-samples'),
            }),
          })
          if (o.out)
            await writeAtomically(o.out as string, (tmp) =>
              writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`),
            )
          out.result(doc, () => {
            const head = keyValues([
              [
                'model',
                `${doc.model.name}${doc.model.version !== null ? `@${doc.model.version}` : ''} (${doc.model.size_bytes.toLocaleString('en-US')} bytes)`,
              ],
              ['data', `${doc.dataset.path} (${doc.dataset.rows.toLocaleString('en-US')} rows)`],
              ['latency', `p50 ${doc.model.latency_ms.p50} ms, p99 ${doc.model.latency_ms.p99} ms (one row)`],
              ['metrics', formatMetrics(doc.metrics)],
            ])
            const slices = Object.entries(doc.slices).map(([col, all]) => {
              // The largest slices; every slice is in the JSON document.
              const shown = Object.entries(all).length > MAX_SLICE_ROWS
              const groups = Object.fromEntries(
                Object.entries(all)
                  .sort(([, a], [, b]) => sliceRows(b) - sliceRows(a))
                  .slice(0, MAX_SLICE_ROWS),
              )
              const rest = shown
                ? `\n… ${Object.keys(all).length - MAX_SLICE_ROWS} smaller slices of ${col} in the JSON (--json or --out)`
                : ''
              return `${table(
                [
                  col.toUpperCase(),
                  ...Object.keys(Object.values(groups)[0] ?? {}).filter((k) => k !== 'confusion_matrix'),
                ],
                Object.entries(groups).map(([v, ms]) => [
                  v,
                  ...Object.entries(ms)
                    .filter(([k]) => k !== 'confusion_matrix')
                    .map(([, x]) => round4(x as number)),
                ]),
              )}${rest}`
            })
            return [head, ...slices].join('\n\n')
          })
        } finally {
          await m.cleanup()
        }
      }),
    )
}

function readParams(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    throw new SluiceError('UNREADABLE_FILE', `parameters file ${file} cannot be read; check the path`)
  }
}

const MAX_SLICE_ROWS = 20

/** Rows in a slice: the sum of its confusion matrix (classification), else 0. */
function sliceRows(m: Record<string, unknown>): number {
  const cm = m.confusion_matrix
  return Array.isArray(cm) ? (cm as number[][]).flat().reduce((a, b) => a + b, 0) : 0
}

const round4 = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x))

function formatMetrics(m: Record<string, unknown>): string {
  return Object.entries(m)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${k}=${round4(v as number)}`)
    .join(' ')
}

/** Registers a trained model with its lineage: the training data as a dataset version, params, validation metrics, environment. */
async function register(
  o: GlobalOptions & Record<string, unknown>,
  result: { params: Record<string, unknown>; metrics: Record<string, number> },
  name: string,
) {
  const { inspectModel } = await import('../../models/inspect.js')
  const { signature } = await inspectModel(o.out as string, 'onnx')
  const datasetName =
    (o.dataset as string | undefined) ??
    path
      .basename(o.data as string)
      .replace(/\.[^.]+$/, '')
      .replace(/[^A-Za-z0-9._-]/g, '-')
  return withRegistry(o, async (r) => {
    const ds = await r.addDataset(datasetName, o.data as string)
    const artifact = await r.storeArtifact(o.out as string)
    const params = Object.fromEntries(
      Object.entries(result.params).map(([k, v]) => [
        k,
        v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string'
          ? v
          : JSON.stringify(v),
      ]),
    ) as Record<string, string | number | boolean | null>
    return r.registerModelVersion({
      name,
      artifact,
      flavor: 'onnx',
      signature,
      metrics: Object.fromEntries(Object.entries(result.metrics).filter(([, v]) => Number.isFinite(v))),
      params: {
        ...params,
        algo: o.algo as string,
        seed: Number(o.seed),
        target: o.target as string,
        features: o.features as string,
      },
      datasets: [{ ref: `${ds.name}@${ds.version}`, role: 'train' }],
      code: codeRevision(process.cwd()),
      environment: environmentFingerprint(process.cwd(), SLUICE_VERSION),
    })
  })
}
