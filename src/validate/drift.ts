import { isSluiceError } from '../core/errors.js'
import type { Frame } from '../data/frame.js'
import { DEFAULT_DRIFT_SHARE, driftReport } from '../drift/report.js'
import type { DriftOptions, DriftReport } from '../drift/types.js'
import type { DriftContract } from './contract.js'

/** The drift report a contract's drift check reads, or why none could be computed. */
export type DriftOutcome = { report: DriftReport } | { error: string }

/** The drift engine's options for a contract's `dataset.drift` section (all defaults when absent). */
export function driftOptionsOf(spec: DriftContract = {}): DriftOptions {
  return {
    driftShare: spec.drift_share ?? DEFAULT_DRIFT_SHARE,
    ...(spec.mapping && { mapping: spec.mapping }),
    ...(spec.columns && { columns: spec.columns }),
    ...(spec.stattest !== undefined && { stattest: spec.stattest }),
    ...(spec.threshold !== undefined && { threshold: spec.threshold }),
    ...(spec.per_type && { perType: spec.per_type }),
    ...(spec.per_column && { perColumn: spec.per_column }),
  }
}

/**
 * Runs the drift engine on current vs reference. A contract that does not fit the data (a column
 * that is not there, a test that does not apply to a column's type, nothing testable) makes the
 * drift check fail with the reason rather than stopping the other checks.
 */
export async function computeDrift(
  reference: Frame,
  current: Frame,
  spec?: DriftContract,
): Promise<DriftOutcome> {
  try {
    return { report: await driftReport(reference, current, driftOptionsOf(spec)) }
  } catch (e) {
    if (isSluiceError(e, 'INVALID_INPUT')) return { error: e.message }
    throw e
  }
}
