import { SluiceError } from '../core/errors.js'
import { availableThreads, WorkerPool, workerScript } from '../core/workers.js'
import type { Frame } from '../data/frame.js'
import { mapColumns } from '../data/mapping.js'
import { type ColumnJob, computeColumnDrift } from './column.js'
import { adjustPValues } from './correction.js'
import { type DataInput, toFrame } from './input.js'
import { drifted, isPValue, statTest, statTestsFor } from './stattests.js'
import type { ColumnDrift, DriftColumnType, DriftOptions, DriftReport } from './types.js'

export const DEFAULT_DRIFT_SHARE = 0.5
export const DEFAULT_SEED = 0

const TYPE_OF = { numerical: 'num', categorical: 'cat', text: 'text', datetime: null } as const

/** Below this many cells (rows × columns, both datasets) worker threads cost more than they save. */
const PARALLEL_CELLS = 2_000_000

/**
 * Compares two datasets column by column (Evidently's data drift, with sluice's deliberate
 * differences documented in docs/drift.md) and returns the `sluice.drift/v1` document. A column
 * that cannot be tested gets an `error` and the rest still runs; only when no column at all can
 * be tested does it throw. Large inputs are tested on worker threads, one column at a time each.
 */
export async function driftReport(
  referenceData: DataInput,
  currentData: DataInput,
  options: DriftOptions = {},
): Promise<DriftReport> {
  checkOptions(options)
  const reference = toFrame(referenceData)
  const current = toFrame(currentData)
  const driftShare = options.driftShare ?? DEFAULT_DRIFT_SHARE
  const seed = options.seed ?? DEFAULT_SEED
  const jobs = columnJobs(reference, current, options, seed)
  const results = await runJobs(jobs, (reference.rows + current.rows) * jobs.length, options.onProgress)
  const columns: Record<string, ColumnDrift> = {}
  jobs.forEach((job, i) => {
    columns[job.mapped.name] = results[i]!
  })

  const correction = options.correction ?? 'none'
  if (correction !== 'none') {
    const withP = jobs
      .map((job) => ({ name: job.mapped.name, test: statTest(columns[job.mapped.name]!.stattest ?? '') }))
      .filter(
        (t) =>
          t.test && isPValue(t.test) && Number.isFinite(columns[t.name]!.score) && !columns[t.name]!.error,
      )
    const adjusted = adjustPValues(
      withP.map((t) => columns[t.name]!.score!),
      correction,
    )
    withP.forEach((t, i) => {
      const c = columns[t.name]!
      c.adjusted_score = adjusted[i]!
      c.drift_detected = drifted(t.test!, adjusted[i]!, c.threshold!)
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
  const curNames = new Set(current.columns.map((c) => c.name))
  const refNames = new Set(reference.columns.map((c) => c.name))
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
      in_current: reference.columns.filter((c) => !curNames.has(c.name)).map((c) => c.name),
      in_reference: current.columns.filter((c) => !refNames.has(c.name)).map((c) => c.name),
    },
    columns,
  }
}

/** One job per column to test, with the user's test and threshold resolved (column > type > global). */
function columnJobs(reference: Frame, current: Frame, options: DriftOptions, seed: number): ColumnJob[] {
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
  return mapped.map((m) => {
    const type: DriftColumnType = TYPE_OF[m.type] ?? 'cat'
    const stattest =
      options.perColumn?.[m.name]?.stattest ?? options.perType?.[type]?.stattest ?? options.stattest
    if (stattest !== undefined) checkApplicable(stattest, type, m.name)
    return {
      mapped: m,
      type,
      reference: refByName.get(m.name)!,
      current: curByName.get(m.name),
      stattest,
      threshold:
        options.perColumn?.[m.name]?.threshold ?? options.perType?.[type]?.threshold ?? options.threshold,
      binning: options.binning,
      seed,
    }
  })
}

async function runJobs(
  jobs: ColumnJob[],
  cells: number,
  onProgress: DriftOptions['onProgress'],
): Promise<ColumnDrift[]> {
  let done = 0
  const finished = (r: ColumnDrift) => {
    onProgress?.(++done, jobs.length)
    return r
  }
  const threads = Math.min(availableThreads(), jobs.length)
  if (cells < PARALLEL_CELLS || threads < 2) return jobs.map((job) => finished(computeColumnDrift(job)))
  const pool = new WorkerPool(workerScript(import.meta.url, 'drift-worker'), threads)
  try {
    return await Promise.all(jobs.map((job) => pool.run<ColumnDrift>(job).then(finished)))
  } finally {
    await pool.close()
  }
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
