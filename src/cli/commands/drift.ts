import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Command } from 'commander'
import { writeAtomically } from '../../core/atomic.js'
import { SluiceError } from '../../core/errors.js'
import type { Frame } from '../../data/frame.js'
import { loadFrames } from '../../data/load.js'
import { type ColumnMapping, mergeMappings, readMappingFile } from '../../data/mapping.js'
import { renderDriftHtml } from '../../drift/html.js'
import { driftReport } from '../../drift/report.js'
import type { DriftColumnType, DriftOptions, DriftReport, TestOverride } from '../../drift/types.js'
import { collect } from '../args.js'
import { type GlobalOptions, withRegistry } from '../context.js'
import { makeOutput, type Output, table } from '../output.js'
import type { Runner } from '../run.js'

interface DriftFlags extends GlobalOptions {
  reference: string
  current: string
  numerical?: string
  categorical?: string
  text?: string
  target?: string
  prediction?: string
  datetime?: string
  id?: string
  task?: string
  mapping?: string
  columns?: string
  stattest?: string
  threshold?: string
  perType: string[]
  perColumn: string[]
  driftShare?: string
  correction?: string
  quantileBins?: string
  seed?: string
  html?: string
  out?: string
  failOnDrift?: boolean
}

export function driftCommand(program: Command, run: Runner) {
  program
    .command('drift')
    .description('compare a current dataset with a reference, column by column (Evidently-compatible tests)')
    .requiredOption(
      '--reference <data>',
      'reference data: a CSV, TSV, JSONL or Parquet file, or a dataset NAME@VERSION',
    )
    .requiredOption('--current <data>', 'current data: a file or a dataset NAME@VERSION')
    .option('--numerical <cols>', 'comma-separated columns to treat as numerical')
    .option('--categorical <cols>', 'comma-separated columns to treat as categorical')
    .option('--text <cols>', 'comma-separated text columns')
    .option('--target <col>', 'target column')
    .option('--prediction <col>', 'prediction column')
    .option('--datetime <col>', 'datetime column (not tested)')
    .option('--id <col>', 'id column (not tested)')
    .option('--task <task>', 'classification or regression (types target and prediction)')
    .option('--mapping <file>', 'column mapping YAML (flags win over it)')
    .option('--columns <cols>', 'test only these columns')
    .option('--stattest <name>', 'test for every column (see docs/drift.md)')
    .option('--threshold <x>', 'threshold for every column')
    .option(
      '--per-type <type=TEST[:THRESHOLD]>',
      'test and threshold for num, cat or text columns (repeatable)',
      collect,
      [],
    )
    .option(
      '--per-column <col=TEST[:THRESHOLD]>',
      'test and threshold for one column (repeatable)',
      collect,
      [],
    )
    .option('--drift-share <s>', 'dataset drift when at least this share of columns drift (default 0.5)')
    .option('--correction <method>', 'multiple-testing correction of p-values: bonferroni or bh')
    .option(
      '--quantile-bins <n>',
      'bin numerical columns on n reference quantiles for psi, kl_div and jensenshannon',
    )
    .option('--seed <n>', 'seed of the permutation tests (default 0)')
    .option('--html <file>', 'also write a self-contained HTML report')
    .option('--out <file>', 'also write the JSON report to a file')
    .option('--fail-on-drift', 'exit 1 when the dataset drifts')
    .option('--json', 'print the sluice.drift/v1 document')
    .action(
      run<DriftFlags>(async (o) => {
        const out = makeOutput(Boolean(o.json))
        const options = driftOptions(o, out)
        const [reference, current] = await loadBoth(o, out)
        out.progress(`testing ${reference.columns.length} columns…`)
        const report = await driftReport(reference, current, options)
        if (o.out)
          await writeAtomically(o.out, (tmp) => writeFile(tmp, `${JSON.stringify(report, null, 2)}\n`))
        if (o.html) {
          const html = await renderDriftHtml(
            report,
            `Data drift: ${path.basename(o.current)} vs ${path.basename(o.reference)}`,
          )
          await writeAtomically(o.html, (tmp) => writeFile(tmp, html))
        }
        out.result(report, () => describe(report, o))
        if (o.failOnDrift && report.dataset_drift) process.exitCode = 1
      }),
    )
}

function driftOptions(o: DriftFlags, out: Output): DriftOptions {
  const list = (s?: string) =>
    s === undefined
      ? undefined
      : s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
  if (o.task !== undefined && o.task !== 'classification' && o.task !== 'regression') {
    throw new SluiceError('USAGE', `--task must be classification or regression, got "${o.task}"`)
  }
  const flags: ColumnMapping = {
    ...(o.numerical !== undefined && { numerical: list(o.numerical) }),
    ...(o.categorical !== undefined && { categorical: list(o.categorical) }),
    ...(o.text !== undefined && { text: list(o.text) }),
    ...(o.target !== undefined && { target: o.target }),
    ...(o.prediction !== undefined && { prediction: o.prediction }),
    ...(o.datetime !== undefined && { datetime: o.datetime }),
    ...(o.id !== undefined && { id: o.id }),
    ...(o.task !== undefined && { task: o.task as 'classification' | 'regression' }),
  }
  const mapping = o.mapping ? mergeMappings(readMappingFile(o.mapping), flags) : flags
  const perType: Partial<Record<DriftColumnType, TestOverride>> = {}
  for (const item of o.perType) {
    const [key, override] = testOverride(item, '--per-type')
    if (key !== 'num' && key !== 'cat' && key !== 'text')
      throw new SluiceError('USAGE', `--per-type takes num, cat or text, got "${key}"`)
    perType[key] = override
  }
  const perColumn: Record<string, TestOverride> = {}
  for (const item of o.perColumn) {
    const [key, override] = testOverride(item, '--per-column')
    perColumn[key] = override
  }
  const correction =
    o.correction === undefined ? 'none' : o.correction === 'bh' ? 'benjamini-hochberg' : o.correction
  if (correction !== 'none' && correction !== 'bonferroni' && correction !== 'benjamini-hochberg') {
    throw new SluiceError('USAGE', `--correction must be bonferroni or bh, got "${o.correction}"`)
  }
  const columns = list(o.columns)
  return {
    mapping,
    ...(o.stattest !== undefined && { stattest: o.stattest }),
    ...(o.threshold !== undefined && { threshold: number(o.threshold, '--threshold') }),
    perType,
    perColumn,
    ...(o.driftShare !== undefined && { driftShare: number(o.driftShare, '--drift-share') }),
    correction,
    ...(o.quantileBins !== undefined && {
      binning: { method: 'quantile' as const, bins: number(o.quantileBins, '--quantile-bins') },
    }),
    ...(o.seed !== undefined && { seed: number(o.seed, '--seed') }),
    ...(columns && { columns }),
    onProgress: (done, total) => {
      if (total >= 10 && (done === total || done % 5 === 0)) out.progress(`  ${done}/${total} columns`)
    },
  }
}

/** `NAME=TEST[:THRESHOLD]` (the test may be omitted: `NAME=:0.1` sets only the threshold). */
function testOverride(item: string, flag: string): [string, TestOverride] {
  const m = /^([^=]+)=([A-Za-z_]*)(?::(.+))?$/.exec(item)
  if (!m || (!m[2] && m[3] === undefined))
    throw new SluiceError('USAGE', `${flag} "${item}" must be NAME=TEST[:THRESHOLD], e.g. distance=ks:0.01`)
  return [
    m[1]!,
    { ...(m[2] && { stattest: m[2] }), ...(m[3] !== undefined && { threshold: number(m[3], flag) }) },
  ]
}

function number(s: string, flag: string): number {
  const n = Number(s)
  if (s.trim() === '' || !Number.isFinite(n))
    throw new SluiceError('USAGE', `${flag} must be a number, got "${s}"`)
  return n
}

/** Loads both datasets: files, or dataset versions fetched from the registry. */
async function loadBoth(o: DriftFlags, out: Output): Promise<[Frame, Frame]> {
  const temp = await mkdtemp(path.join(os.tmpdir(), 'sluice-drift-'))
  try {
    const resolve = async (arg: string): Promise<string> => {
      if (existsSync(arg) || !/^[A-Za-z0-9][A-Za-z0-9._-]*@(\d+|latest)$/.test(arg)) return arg
      return withRegistry(o, async (r) => {
        const ds = await r.getDatasetVersion(arg)
        const file = path.join(temp, `${ds.name}-${ds.version}.${ds.format}`)
        await r.fetchArtifact({ digest: ds.digest, kind: 'file' }, file)
        return file
      })
    }
    const files = [await resolve(o.reference), await resolve(o.current)]
    out.progress(`reading ${o.reference} and ${o.current}…`)
    const [reference, current] = await loadFrames(files)
    return [reference!.frame, current!.frame]
  } finally {
    await rm(temp, { recursive: true, force: true })
  }
}

function describe(r: DriftReport, o: DriftFlags): string {
  const rows = Object.entries(r.columns).map(([name, c]) => [
    name,
    c.column_type,
    c.stattest ?? '-',
    c.threshold === undefined ? '-' : String(c.threshold),
    c.score === undefined
      ? '-'
      : String(Number(c.score.toPrecision(4))) +
        (c.adjusted_score !== undefined ? ` (adj ${Number(c.adjusted_score.toPrecision(4))})` : ''),
    c.error ? `error: ${c.error}` : c.skipped ? `skipped: ${c.skipped}` : c.drift_detected ? 'DRIFT' : 'ok',
  ])
  const head = `${r.dataset_drift ? 'DATASET DRIFT' : 'no dataset drift'}: ${r.number_of_drifted_columns} of ${r.number_of_columns} columns drifted (${(r.share_of_drifted_columns * 100).toFixed(1)}%; drift share ${r.drift_share})`
  const missing = r.missing_columns.in_current.length
    ? `\nnot in the current data: ${r.missing_columns.in_current.join(', ')}`
    : ''
  const files = [o.out && `JSON written to ${o.out}`, o.html && `HTML written to ${o.html}`]
    .filter(Boolean)
    .join('\n')
  return `${head}${missing}\n\n${table(['COLUMN', 'TYPE', 'TEST', 'THRESHOLD', 'SCORE', 'RESULT'], rows)}${files ? `\n\n${files}` : ''}`
}
