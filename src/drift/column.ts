import type { Column } from '../data/frame.js'
import type { MappedColumn } from '../data/mapping.js'
import { distributions } from './distribution.js'
import { missingShare, type PreparedColumn, prepareColumn } from './prepare.js'
import { defaultStatTest } from './select.js'
import { drifted, statTest } from './stattests.js'
import type { ColumnDrift, DriftColumnType, DriftOptions } from './types.js'

/** Everything needed to test one column, in a form that can be posted to a worker thread. */
export interface ColumnJob {
  mapped: MappedColumn
  type: DriftColumnType
  reference: Column
  current: Column | undefined
  /** The test the user named (already checked to apply), or undefined for the default. */
  stattest: string | undefined
  /** Threshold the user set, or undefined for the test's default. */
  threshold: number | undefined
  binning: DriftOptions['binning']
  seed: number
}

/**
 * One column's drift: cleaning, test choice, score, verdict and plotted distributions. Problems
 * with the column become its `error`; nothing here throws for bad data.
 */
export function computeColumnDrift(job: ColumnJob): ColumnDrift {
  const { mapped, type, reference, current } = job
  const base: ColumnDrift = {
    column_type: type,
    role: mapped.role,
    missing: { reference: missingShare(reference), current: current ? missingShare(current) : 1 },
  }
  if (type === 'text')
    return {
      ...base,
      skipped: 'text columns are not tested yet (text drift tests arrive in a later version)',
    }
  if (!current) return { ...base, error: 'is not in the current data' }
  let col: PreparedColumn
  try {
    col = prepareColumn(mapped, type, reference, current)
  } catch (e) {
    return { ...base, error: (e as Error).message }
  }
  const test = statTest(job.stattest ?? defaultStatTest(col))!
  const threshold = job.threshold ?? test.defaultThreshold
  const result: ColumnDrift = { ...base, stattest: test.name, stattest_name: test.displayName, threshold }
  try {
    result.score = test.score(col, { binning: job.binning, seed: job.seed })
    result.drift_detected = drifted(test, result.score, threshold)
  } catch (e) {
    return { ...result, error: `${test.name} could not be computed: ${(e as Error).message}` }
  }
  const dist = distributions(col)
  result.reference_distribution = dist.reference
  result.current_distribution = dist.current
  return result
}
