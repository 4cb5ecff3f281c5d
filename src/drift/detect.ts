import type { ColumnMapping } from '../data/mapping.js'
import { type DataInput, toFrame } from './input.js'
import { driftReport } from './report.js'

export interface DetectDriftResult {
  drift_detected: boolean
  /** Share of the tested features that drifted. */
  drift_score: number
  number_of_drifted_features: number
  drifted_features: { feature: string; drift_score: number }[]
}

/**
 * The helper Evidently-based scripts use: runs the default drift tests with `threshold` for every
 * column (compared the way each test compares: below it for p-values, at or above it for
 * distances) and says whether any feature drifted.
 *
 * ```ts
 * const r = await detectDrift(trainRows, lastWeekRows, { target: 'delayed', task: 'classification' }, 0.05)
 * if (r.drift_detected) console.log(r.drifted_features)
 * ```
 */
export async function detectDrift(
  reference: DataInput,
  current: DataInput,
  columnMapping: ColumnMapping = {},
  threshold = 0.2,
): Promise<DetectDriftResult> {
  const report = await driftReport(toFrame(reference), toFrame(current), {
    mapping: columnMapping,
    threshold,
  })
  const drifted = Object.entries(report.columns)
    .filter(([, c]) => c.drift_detected)
    .map(([feature, c]) => ({ feature, drift_score: c.score! }))
  return {
    drift_detected: drifted.length > 0,
    drift_score: report.share_of_drifted_columns,
    number_of_drifted_features: drifted.length,
    drifted_features: drifted,
  }
}
