import { SluiceError } from '../core/errors.js'
import type { Frame } from '../data/frame.js'
import { type MappedColumn, mapColumns } from '../data/mapping.js'
import { adjustPValues } from './correction.js'
import { distributions } from './distribution.js'
import { type DataInput, toFrame } from './input.js'
import { missingShare, type PreparedColumn, prepareColumn } from './prepare.js'
import { defaultStatTest } from './select.js'
import { drifted, isPValue, type StatTest, statTest, statTestsFor } from './stattests.js'
import type { ColumnDrift, DriftColumnType, DriftOptions, DriftReport } from './types.js'

export const DEFAULT_DRIFT_SHARE = 0.5
export const DEFAULT_SEED = 0

const TYPE_OF = { numerical: 'num', categorical: 'cat', text: 'text', datetime: null } as const

/**
 * Compares two datasets column by column (Evidently's data drift, with sluice's deliberate
 * differences documented in docs/drift.md) and returns the `sluice.drift/v1` document. A column
 * that cannot be tested gets an `error` and the rest still runs; only when no column at all can
 * be tested does it throw.
 */
export function driftReport(
  referenceData: DataInput,
  currentData: DataInput,
  options: DriftOptions = {},
): DriftReport {
  checkOptions(options)
  const reference = toFrame(referenceData)
  const current = toFrame(currentData)
  const driftShare = options.driftShare ?? DEFAULT_DRIFT_SHARE
  const seed = options.seed ?? DEFAULT_SEED
  let mapped = mapColumns(reference, options.mapping ?? {})
  if (options.columns) {
    const known = new Set(mapped.map((m) => m.name))
    for (const name of options.columns) {
      if (!known.has(name))
        throw new SluiceError(
          'INVALID_INPUT',
          `column "${name}" is not a column the report can test; it has ${[...known].join(', ')}`,
        )
    }
    const wanted = new Set(options.columns)
    mapped = mapped.filter((m) => wanted.has(m.name))
  }
  const curByName = new Map(current.columns.map((c) => [c.name, c]))
  const refByName = new Map(reference.columns.map((c) => [c.name, c]))

  const columns: Record<string, ColumnDrift> = {}
  const tested: { name: string; test: StatTest }[] = []
  mapped.forEach((m, i) => {
    columns[m.name] = driftOfColumn(m, refByName.get(m.name)!, curByName.get(m.name), options, seed, tested)
    options.onProgress?.(i + 1, mapped.length)
  })

  const correction = options.correction ?? 'none'
  if (correction !== 'none') {
    const withP = tested.filter((t) => isPValue(t.test) && Number.isFinite(columns[t.name]!.score))
    const adjusted = adjustPValues(
      withP.map((t) => columns[t.name]!.score!),
      correction,
    )
    withP.forEach((t, i) => {
      const c = columns[t.name]!
      c.adjusted_score = adjusted[i]!
      c.drift_detected = drifted(t.test, adjusted[i]!, c.threshold!)
    })
  }

  const counted = Object.values(columns).filter((c) => c.error === undefined && c.skipped === undefined)
  if (counted.length === 0) {
    const reasons = Object.entries(columns).map(([name, c]) => `${name}: ${c.error ?? c.skipped}`)
    throw new SluiceError(
      'INVALID_INPUT',
      reasons.length
        ? `no column could be tested for drift (${reasons.join('; ')})`
        : 'the data has no columns to test for drift',
    )
  }
  const drifting = counted.filter((c) => c.drift_detected).length
  const share = drifting / counted.length
  return {
    schema: 'sluice.drift/v1',
    dataset_drift: share >= driftShare,
    drift_share: driftShare,
    number_of_columns: counted.length,
    number_of_drifted_columns: drifting,
    share_of_drifted_columns: share,
    correction,
    seed,
    reference_rows: reference.rows,
    current_rows: current.rows,
    missing_columns: {
      in_current: reference.columns.filter((c) => !curByName.has(c.name)).map((c) => c.name),
      in_reference: current.columns.filter((c) => !refByName.has(c.name)).map((c) => c.name),
    },
    columns,
  }
}

function driftOfColumn(
  m: MappedColumn,
  ref: Frame['columns'][number],
  cur: Frame['columns'][number] | undefined,
  options: DriftOptions,
  seed: number,
  tested: { name: string; test: StatTest }[],
): ColumnDrift {
  const type: DriftColumnType = TYPE_OF[m.type] ?? 'cat'
  const base = {
    column_type: type,
    role: m.role,
    missing: { reference: missingShare(ref), current: cur ? missingShare(cur) : 1 },
  }
  const named = options.perColumn?.[m.name]?.stattest ?? options.perType?.[type]?.stattest ?? options.stattest
  if (named !== undefined) checkApplicable(named, type, m.name)
  if (type === 'text')
    return {
      ...base,
      skipped: 'text columns are not tested yet (text drift tests arrive in a later version)',
    }
  if (!cur) return { ...base, error: 'is not in the current data' }

  let col: PreparedColumn
  try {
    col = prepareColumn(m, type, ref, cur)
  } catch (e) {
    return { ...base, error: (e as Error).message }
  }
  const test = statTest(named ?? defaultStatTest(col))!
  const threshold =
    options.perColumn?.[m.name]?.threshold ??
    options.perType?.[type]?.threshold ??
    options.threshold ??
    test.defaultThreshold
  const result: ColumnDrift = { ...base, stattest: test.name, stattest_name: test.displayName, threshold }
  try {
    const score = test.score(col, { binning: options.binning, seed })
    result.score = score
    result.drift_detected = drifted(test, score, threshold)
    tested.push({ name: m.name, test })
  } catch (e) {
    result.error = `${test.name} could not be computed: ${(e as Error).message}`
    return result
  }
  const dist = distributions(col)
  result.reference_distribution = dist.reference
  result.current_distribution = dist.current
  return result
}

function checkApplicable(name: string, type: DriftColumnType, column: string): void {
  const test = statTest(name)
  if (!test) {
    throw new SluiceError(
      'INVALID_INPUT',
      `unknown drift test "${name}"; tests for ${type} columns: ${statTestsFor(type).join(', ')}`,
    )
  }
  if (!test.types.includes(type)) {
    throw new SluiceError(
      'INVALID_INPUT',
      `drift test "${name}" does not apply to ${type} column "${column}"; tests for ${type} columns: ${statTestsFor(type).join(', ') || 'none yet'}`,
    )
  }
}

function checkOptions(o: DriftOptions): void {
  const thresholds = [
    o.threshold,
    ...Object.values(o.perType ?? {}).map((t) => t?.threshold),
    ...Object.values(o.perColumn ?? {}).map((t) => t.threshold),
  ]
  for (const t of thresholds) {
    if (t !== undefined && (!Number.isFinite(t) || t < 0))
      throw new SluiceError('INVALID_INPUT', `a threshold must be a number of at least 0, got ${t}`)
  }
  if (o.driftShare !== undefined && !(o.driftShare >= 0 && o.driftShare <= 1)) {
    throw new SluiceError('INVALID_INPUT', `drift share must be between 0 and 1, got ${o.driftShare}`)
  }
  if (o.binning?.method === 'quantile' && !(Number.isInteger(o.binning.bins) && o.binning.bins >= 2)) {
    throw new SluiceError(
      'INVALID_INPUT',
      `quantile binning needs a whole number of bins of at least 2, got ${o.binning.bins}`,
    )
  }
}
