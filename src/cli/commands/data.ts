import type { Command } from 'commander'
import { SluiceError } from '../../core/errors.js'
import { DATASET_FORMATS, type DatasetFormat, type DatasetVersionDoc } from '../../core/types.js'
import { loadFrame } from '../../data/load.js'
import { sliceWindow } from '../../data/select.js'
import { formatForOutput, writeFrame } from '../../data/write.js'
import { formatBytes } from '../../registry/card.js'
import { type GlobalOptions, withRegistry } from '../context.js'
import { keyValues, makeOutput, table } from '../output.js'
import type { Runner } from '../run.js'

export function dataCommand(program: Command, run: Runner) {
  const data = program.command('data').description('version datasets (CSV, JSONL, Parquet) by content')

  data
    .command('add')
    .description(
      'fingerprint a data file, store it and record a dataset version (identical content: the existing version)',
    )
    .argument('<file>', 'CSV, TSV, JSONL or Parquet file')
    .requiredOption('--name <name>', 'dataset name')
    .option('--format <format>', `one of ${DATASET_FORMATS.join(', ')} (default: from the file)`)
    .option('--json', 'print a dataset-add document')
    .action(
      run(async (o: GlobalOptions & { name: string; format?: string }, cmd) => {
        const out = makeOutput(Boolean(o.json))
        const file = cmd.args[0]!
        if (o.format !== undefined && !(DATASET_FORMATS as readonly string[]).includes(o.format)) {
          throw new SluiceError(
            'USAGE',
            `--format must be one of ${DATASET_FORMATS.join(', ')}, got "${o.format}"`,
          )
        }
        out.progress(`reading ${file}…`)
        const doc = await withRegistry(o, (r) =>
          r.addDataset(o.name, file, o.format ? { format: o.format as DatasetFormat } : {}),
        )
        out.result(doc, () =>
          doc.created
            ? `added ${doc.name}@${doc.version}: ${doc.rows.toLocaleString('en-US')} rows × ${doc.columns.length} columns (${doc.digest})`
            : `unchanged: identical to ${doc.name}@${doc.version} (${doc.digest})`,
        )
      }),
    )

  data
    .command('slice')
    .description(
      'write the rows of a time window to a new file (format by extension: .parquet, .csv, .tsv, .jsonl)',
    )
    .argument('<file>', 'CSV, TSV, JSONL or Parquet file')
    .requiredOption('--column <name>', 'datetime (or numeric) column to slice on')
    .option('--from <time>', 'inclusive lower bound, e.g. 2001-03-01 (no zone: UTC)')
    .option('--to <time>', 'exclusive upper bound, e.g. 2001-04-01 (no zone: UTC)')
    .requiredOption('--out <file>', 'output file')
    .option('--json', 'print a data-slice document')
    .action(
      run(async (o: GlobalOptions & { column: string; from?: string; to?: string; out: string }, cmd) => {
        const out = makeOutput(Boolean(o.json))
        const file = cmd.args[0]!
        formatForOutput(o.out) // refuse an unknown output extension before reading anything
        out.progress(`reading ${file}…`)
        const { frame } = await loadFrame(file)
        const window = sliceWindow(frame, { column: o.column, from: o.from ?? null, to: o.to ?? null })
        out.progress(`writing ${window.rows.toLocaleString('en-US')} rows to ${o.out}…`)
        await writeFrame(window, o.out)
        const doc = {
          schema: 'sluice.data-slice/v1',
          source: file,
          out: o.out,
          column: o.column,
          from: o.from ?? null,
          to: o.to ?? null,
          rows: window.rows,
          source_rows: frame.rows,
        }
        out.result(
          doc,
          () =>
            `wrote ${window.rows.toLocaleString('en-US')} of ${frame.rows.toLocaleString('en-US')} rows to ${o.out}`,
        )
      }),
    )

  data
    .command('list')
    .description('list datasets')
    .option('--json', 'print a dataset-list document')
    .action(
      run(async (o: GlobalOptions) => {
        const out = makeOutput(Boolean(o.json))
        const doc = await withRegistry(o, (r) => r.listDatasets())
        out.result(doc, () =>
          doc.items.length === 0
            ? 'no datasets yet; add one with `sluice data add FILE --name NAME`'
            : table(
                ['NAME', 'VERSIONS', 'LATEST', 'ROWS', 'FORMAT', 'CREATED'],
                doc.items.map((d) => [
                  d.name,
                  String(d.versions),
                  d.latest ? String(d.latest.version) : '-',
                  d.latest ? d.latest.rows.toLocaleString('en-US') : '-',
                  d.latest?.format ?? '-',
                  d.latest?.created_at ?? d.created_at,
                ]),
              ),
        )
      }),
    )

  data
    .command('show')
    .description('show a dataset version with its schema (NAME@VERSION), or the versions of a dataset (NAME)')
    .argument('<ref>', 'NAME or NAME@VERSION')
    .option('--json', 'print a dataset-version (or dataset-version-list) document')
    .action(
      run(async (o: GlobalOptions, cmd) => {
        const out = makeOutput(Boolean(o.json))
        const ref = cmd.args[0]!
        if (ref.includes('@')) {
          const doc = await withRegistry(o, (r) => r.getDatasetVersion(ref))
          out.result(doc, () => describeDataset(doc))
        } else {
          const doc = await withRegistry(o, (r) => r.listDatasetVersions(ref))
          out.result(doc, () =>
            table(
              ['VERSION', 'ROWS', 'COLUMNS', 'SIZE', 'FORMAT', 'SOURCE', 'DIGEST', 'CREATED'],
              doc.items.map((v) => [
                `${v.name}@${v.version}`,
                v.rows.toLocaleString('en-US'),
                String(v.columns.length),
                formatBytes(v.size),
                v.format,
                v.source,
                `${v.digest.slice(0, 19)}…`,
                v.created_at,
              ]),
            ),
          )
        }
      }),
    )
}

function describeDataset(d: DatasetVersionDoc): string {
  const head = keyValues([
    ['version', `${d.name}@${d.version}`],
    ['digest', d.digest],
    ['rows', d.rows.toLocaleString('en-US')],
    ['size', formatBytes(d.size)],
    ['format', d.format],
    ['source', d.source],
    ['created', d.created_at],
  ])
  const cols = table(
    ['COLUMN', 'TYPE', 'STORED AS', 'MISSING'],
    d.columns.map((c) => [c.name, c.type, c.dtype, String(c.missing)]),
  )
  return `${head}\n\n${cols}`
}
