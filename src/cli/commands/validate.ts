import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { writeAtomically } from '../../core/atomic.js'
import { SluiceError } from '../../core/errors.js'
import { parseDatetime } from '../../data/values.js'
import { describeCheck } from '../../validate/format.js'
import type { ValidationDoc } from '../../validate/types.js'
import { validateData } from '../../validate/validate.js'
import { type GlobalOptions, withRegistry } from '../context.js'
import { makeOutput, table } from '../output.js'
import type { Runner } from '../run.js'

interface ValidateFlags extends GlobalOptions {
  contract: string
  reference?: string
  now?: string
  out?: string
}

export function validateCommand(program: Command, run: Runner) {
  program
    .command('validate')
    .description('check a dataset against a data contract (types, ranges, missing values, freshness, drift)')
    .argument('<data>', 'the data to check: a CSV, TSV, JSONL or Parquet file')
    .requiredOption('--contract <file>', 'the data contract (YAML; see docs/validate.md)')
    .option('--reference <data>', 'reference data for the drift check: a file or a dataset NAME@VERSION')
    .option('--now <time>', 'measure freshness at this ISO-8601 time instead of now')
    .option('--out <file>', 'also write the JSON document to a file')
    .option('--json', 'print the sluice.validation/v1 document')
    .action(
      run<ValidateFlags>(async (o, cmd) => {
        const out = makeOutput(Boolean(o.json))
        const doc = await validateData({
          data: cmd.args[0]!,
          contract: o.contract,
          ...(o.reference !== undefined && {
            reference: o.reference,
            withRegistry: (fn) => withRegistry(o, fn),
          }),
          ...(o.now !== undefined && { now: parseNow(o.now) }),
          onProgress: (m) => out.progress(m),
        })
        if (o.out) await writeAtomically(o.out, (tmp) => writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`))
        out.result(doc, () => describe(doc, o.out))
        if (!doc.passed) {
          const failed = doc.checks.filter((c) => !c.passed && !c.skipped)
          process.stderr.write(
            `sluice: data contract failed: ${failed.map((c) => (c.column ? `${c.column} ${c.check}` : c.check)).join(', ')}\n`,
          )
          process.exitCode = 1
        }
      }),
    )
}

function parseNow(s: string): Date {
  const ms = parseDatetime(s)
  if (ms === null)
    throw new SluiceError('USAGE', `--now "${s}" is not an ISO-8601 time; write e.g. 2001-07-01T00:00:00Z`)
  return new Date(ms)
}

function describe(doc: ValidationDoc, outFile: string | undefined): string {
  const rows = doc.checks.map((c) => {
    const d = describeCheck(c)
    return [c.check, c.column ?? '-', d.observed, d.expected, d.result]
  })
  const failures = doc.checks.filter((c) => !c.passed).map((c) => `  ${c.message}`)
  const { checks, failed, skipped } = doc.summary
  const verdict = doc.passed
    ? `PASSED: ${checks - skipped} checks passed${skipped ? `, ${skipped} skipped` : ''}`
    : `FAILED: ${failed} of ${checks} checks failed`
  return [
    table(['CHECK', 'COLUMN', 'OBSERVED', 'EXPECTED', 'RESULT'], rows),
    ...(failures.length ? ['', 'failed:', ...failures] : []),
    '',
    verdict,
    ...(outFile ? [`JSON written to ${outFile}`] : []),
  ].join('\n')
}
