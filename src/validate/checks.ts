import { formatDuration } from '../core/duration.js'
import type { Column, Frame } from '../data/frame.js'
import { DEFAULT_DRIFT_SHARE } from '../drift/report.js'
import { valueChecks } from './column-checks.js'
import type { ColumnContract, Contract, DriftContract } from './contract.js'
import type { DriftOutcome } from './drift.js'
import { percent, showValue } from './format.js'
import type { CheckResult } from './types.js'

export interface CheckOptions {
  /** The time freshness is measured against. */
  now: Date
  /** The drift of the data against a reference; without it a contract's drift check is skipped. */
  drift?: DriftOutcome
}

/**
 * Every check of a contract on a frame, in a stable order: `rows`; then per column (in the
 * contract's order) `required`, `type`, `max_missing`, `min`, `max`, `allowed`, `regex`, `unique`;
 * then `freshness` and `drift`. Pure: the drift report is computed beforehand (see drift.ts).
 * A drift outcome given without a `dataset.drift` section is checked with the default drift share.
 */
export function checkContract(frame: Frame, contract: Contract, options: CheckOptions): CheckResult[] {
  const out: CheckResult[] = []
  const dataset = contract.dataset ?? {}
  if (dataset.rows) out.push(rowsCheck(frame.rows, dataset.rows))
  const byName = new Map(frame.columns.map((c) => [c.name, c]))
  for (const [name, spec] of Object.entries(contract.columns ?? {}))
    out.push(...columnChecks(name, spec, byName.get(name), frame))
  if (dataset.freshness) {
    const { column, max_age } = dataset.freshness
    out.push(freshnessCheck(column, byName.get(column), max_age, options.now))
  }
  if (dataset.drift || options.drift) out.push(driftCheck(dataset.drift, options.drift))
  return out
}

function rowsCheck(rows: number, range: { min?: number; max?: number }): CheckResult {
  const tooFew = range.min !== undefined && rows < range.min
  const tooMany = range.max !== undefined && rows > range.max
  const wanted =
    range.min !== undefined && range.max !== undefined
      ? `between ${range.min} and ${range.max}`
      : range.min !== undefined
        ? `at least ${range.min}`
        : `at most ${range.max}`
  return {
    check: 'rows',
    column: null,
    observed: rows,
    expected: range,
    passed: !tooFew && !tooMany,
    message: `${rows} rows, expected ${wanted}`,
  }
}

function columnChecks(name: string, spec: ColumnContract, col: Column | undefined, frame: Frame) {
  const required = spec.required ?? true
  const base = { check: 'required' as const, column: name, expected: required }
  if (col)
    return [{ ...base, observed: true, passed: true, message: `${name}: present` }, ...valueChecks(col, spec)]
  if (!required) {
    const skipped = 'optional column not in the data; its other checks were not run'
    return [{ ...base, observed: false, passed: true, skipped, message: `${name}: ${skipped}` }]
  }
  return [{ ...base, observed: false, passed: false, message: `${name}: ${notInData(name, frame)}` }]
}

function notInData(name: string, frame: Frame): string {
  const names = frame.columns.map((c) => c.name)
  const listed = names.length > 20 ? `${names.slice(0, 20).join(', ')}, …` : names.join(', ')
  return `column "${name}" is not in the data; its columns are ${listed} (add required: false if it may be absent)`
}

function freshnessCheck(
  name: string,
  col: Column | undefined,
  maxAge: { text: string; ms: number },
  now: Date,
): CheckResult {
  const expected = new Date(now.getTime() - maxAge.ms).toISOString()
  const fail = (message: string): CheckResult => ({
    check: 'freshness',
    column: name,
    observed: null,
    expected,
    passed: false,
    message: `${name}: ${message}`,
  })
  if (!col) return fail(`the freshness column is not in the data`)
  if (col.kind !== 'datetime')
    return fail(`freshness needs a datetime column (ISO-8601 values), but it holds ${col.dtype} values`)
  let newest = Number.NEGATIVE_INFINITY
  for (let i = 0; i < col.values.length; i++)
    if (!col.missing[i] && col.values[i]! > newest) newest = col.values[i]!
  if (newest === Number.NEGATIVE_INFINITY) return fail('every value is missing, so the data has no known age')
  const age = now.getTime() - newest
  const passed = age <= maxAge.ms
  const observed = new Date(newest).toISOString()
  return {
    check: 'freshness',
    column: name,
    observed,
    expected,
    passed,
    message: `${name}: newest value ${observed} is ${formatDuration(age)} old at ${now.toISOString()}, expected at most ${maxAge.text}`,
  }
}

function driftCheck(spec: DriftContract | undefined, outcome: DriftOutcome | undefined): CheckResult {
  const base = { check: 'drift' as const, column: null, expected: spec?.drift_share ?? DEFAULT_DRIFT_SHARE }
  if (!outcome) {
    const skipped = 'no reference data was given, so drift was not checked'
    return { ...base, observed: null, passed: true, skipped, message: skipped }
  }
  if ('error' in outcome)
    return {
      ...base,
      observed: null,
      passed: false,
      message: `drift could not be computed: ${outcome.error}`,
    }
  const r = outcome.report
  const drifted = Object.entries(r.columns)
    .filter(([, c]) => c.drift_detected)
    .map(([name]) => name)
  return {
    ...base,
    expected: r.drift_share,
    observed: r.share_of_drifted_columns,
    passed: !r.dataset_drift,
    ...(drifted.length > 0 && { examples: drifted }),
    message:
      `${r.number_of_drifted_columns} of ${r.number_of_columns} columns drifted (${percent(r.share_of_drifted_columns)})` +
      (drifted.length ? `: ${drifted.map((d) => showValue(d)).join(', ')}` : '') +
      `; the data counts as drifted at ${percent(r.drift_share)} or more`,
  }
}
