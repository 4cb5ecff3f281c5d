import { appendFile, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { writeAtomically } from '../../core/atomic.js'
import { SluiceError } from '../../core/errors.js'
import { assertComparable, evaluateGates } from '../../gates/evaluate.js'
import {
  bootstrapLine,
  formatExpected,
  formatObserved,
  gateHeadline,
  renderGateJunit,
  renderGateMarkdown,
} from '../../gates/report.js'
import type { GateRules } from '../../gates/rules.js'
import type { GateResult } from '../../gates/types.js'
import { positiveInt } from '../args.js'
import { type Baseline, evaluateAgainst, loadGateRules, loadPaired, readEvaluation } from '../gate-inputs.js'
import { makeOutput, table } from '../output.js'
import type { Runner } from '../run.js'

interface GateFlags {
  evaluation: string
  against?: string
  newModel?: boolean
  baseline?: string
  rules?: string
  junit?: string
  markdown?: string
  out?: string
  seed?: string
  resamples?: string
}

/** `sluice gate`: checks quality-gate rules on an evaluation; exit 1 when a rule fails. */
export function gateCommand(program: Command, run: Runner) {
  program
    .command('gate')
    .description('check quality-gate rules on an evaluation, absolute and against a baseline model')
    .requiredOption('--evaluation <file>', 'the candidate’s evaluation (sluice evaluate … --out FILE)')
    .option('--against <ref>', 'baseline model NAME@REF (e.g. churn@champion), evaluated on the same data')
    .option(
      '--new-model',
      'with --against: a model with no versions yet is not an error but its first version (no baseline)',
    )
    .option('--baseline <file>', 'or: the baseline’s evaluation, made earlier on the same data')
    .option('--rules <file>', 'YAML file with a gates: section (default: the gates: section of sluice.yaml)')
    .option('--junit <file>', 'also write JUnit XML, one test case per rule')
    .option('--markdown <file>', 'also write a Markdown summary')
    .option('--out <file>', 'also write the sluice.gate/v1 document')
    .option('--seed <n>', 'bootstrap seed for significance rules (default 0)')
    .option('--resamples <n>', 'bootstrap resamples for significance rules (default 1000)')
    .option('--json', 'print the sluice.gate/v1 document')
    .action(
      run<GateFlags>(async (o) => {
        const out = makeOutput(Boolean(o.json))
        if (o.against !== undefined && o.baseline !== undefined)
          throw new SluiceError('USAGE', 'give either --against NAME@REF or --baseline FILE, not both')
        const bootstrap = {
          ...(o.seed !== undefined && { seed: wholeNumber(o.seed, '--seed') }),
          ...(o.resamples !== undefined && { resamples: positiveInt(o.resamples, '--resamples') }),
        }
        const rules = await loadGateRules(o)
        const candidate = await readEvaluation(o.evaluation)
        if (o.against === undefined && o.baseline === undefined) refuseComparisonsWithoutBaseline(rules)

        const significance = Object.values(rules.metrics ?? {}).some((r) => r.significance !== undefined)
        let baseline: Baseline
        if (o.against !== undefined) {
          out.progress(`evaluating ${o.against} on ${candidate.dataset.path}…`)
          baseline = await evaluateAgainst(o.against, candidate, significance, o)
        } else if (o.baseline !== undefined) {
          baseline = { doc: await readEvaluation(o.baseline), cleanup: async () => {} }
        } else {
          baseline = { doc: null, note: 'no baseline was given', cleanup: async () => {} }
        }
        let result: GateResult
        try {
          // Before reading the predictions: different data is the more useful message.
          if (baseline.doc) assertComparable(candidate, baseline.doc)
          const paired = significance && baseline.doc ? await loadPaired(candidate, baseline.doc) : null
          result = evaluateGates(rules, candidate, baseline.doc, paired, {
            ...bootstrap,
            ...(baseline.doc === null && { noBaselineNote: baseline.note }),
          })
        } finally {
          await baseline.cleanup()
        }
        await writeOutputs(result, o)
        out.result(result, () => human(result))
        if (!result.passed) {
          // One line on stderr says why, also where only the last line is shown (a pipeline stage).
          const failed = result.rules.filter((r) => !r.passed)
          process.stderr.write(
            `sluice: gate failed: ${failed.map((r) => `${r.name} (${r.reason})`).join('; ')}\n`,
          )
          process.exitCode = 1
        }
      }),
    )
}

/** Without --against or --baseline a comparison rule could only pass vacuously: refuse, as MLflow does. */
function refuseComparisonsWithoutBaseline(rules: GateRules): void {
  const comparing = [
    ...Object.entries(rules.metrics ?? {}),
    ...Object.values(rules.slices ?? {}).flatMap((byMetric) => Object.entries(byMetric)),
  ]
    .filter(
      ([, r]) =>
        r.min_absolute_change !== undefined ||
        r.min_relative_change !== undefined ||
        ('significance' in r && r.significance !== undefined),
    )
    .map(([m]) => m)
  if (comparing.length) {
    throw new SluiceError(
      'USAGE',
      `the rules for ${[...new Set(comparing)].join(', ')} compare with a baseline; give --against NAME@REF (e.g. NAME@champion) or --baseline FILE`,
    )
  }
}

async function writeOutputs(result: GateResult, o: GateFlags): Promise<void> {
  const write = (file: string, text: string) => writeAtomically(file, (tmp) => writeFile(tmp, text))
  if (o.out) await write(o.out, `${JSON.stringify(result, null, 2)}\n`)
  if (o.junit) await write(o.junit, renderGateJunit(result))
  const markdown = renderGateMarkdown(result)
  if (o.markdown) await write(o.markdown, markdown)
  // GitHub Actions shows whatever a step appends to this file on the run's summary page. A pipeline
  // stage's Markdown file is one of its outputs, also when the stage comes from the cache: whoever
  // runs the pipeline publishes it (the workflow of `sluice ci github` does), so it shows once.
  const summary = process.env.GITHUB_STEP_SUMMARY
  if (summary && !(o.markdown && process.env.SLUICE_STAGE)) await appendFile(summary, `${markdown}\n`)
}

function human(result: GateResult): string {
  const rows = table(
    ['', 'RULE', 'OBSERVED', 'EXPECTED', 'REASON'],
    result.rules.map((r) => [
      r.passed ? 'ok' : 'FAIL',
      r.name,
      formatObserved(r),
      formatExpected(r),
      r.reason,
    ]),
  )
  const notes = [result.note && `note: ${result.note}`, bootstrapLine(result)].filter(Boolean)
  return [gateHeadline(result), '', rows, ...(notes.length ? ['', ...notes] : [])].join('\n')
}

function wholeNumber(s: string, what: string): number {
  // The generator takes a 32-bit seed.
  if (!/^\d+$/.test(s) || Number(s) > 0xffffffff)
    throw new SluiceError('USAGE', `${what} must be a whole number from 0 to 4294967295, got "${s}"`)
  return Number(s)
}
