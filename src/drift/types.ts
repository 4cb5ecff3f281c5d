import type { ColumnMapping, ColumnRole } from '../data/mapping.js'

/** Column types as drift reports name them (Evidently's short names). */
export type DriftColumnType = 'num' | 'cat' | 'text'

export interface TestOverride {
  stattest?: string
  threshold?: number
}

export interface DriftOptions {
  mapping?: ColumnMapping
  /** Test for every column (overridden per type, then per column). */
  stattest?: string
  /** Threshold for every column (overridden per type, then per column). */
  threshold?: number
  perType?: Partial<Record<DriftColumnType, TestOverride>>
  perColumn?: Record<string, TestOverride>
  /** Dataset drift when the share of drifted columns is at least this (default 0.5). */
  driftShare?: number
  /** Multiple-testing correction of p-value tests; `adjusted_score` then decides. */
  correction?: 'none' | 'bonferroni' | 'benjamini-hochberg'
  /**
   * Binning of numerical columns for psi, kl_div and jensenshannon: Evidently's (Sturges over
   * reference ∪ current when the reference has more than 20 distinct values), or `quantile`:
   * `bins` bins on the reference's quantiles.
   */
  binning?: { method: 'evidently' } | { method: 'quantile'; bins: number }
  /** Seed of the permutation tests (TVD, empirical_mmd); recorded in the report. */
  seed?: number
  /** Only these columns (default: every column the mapping leaves in). */
  columns?: string[]
  /** Called as columns finish, for progress on a terminal. */
  onProgress?: (done: number, total: number) => void
}

export interface Distribution {
  /** Bin edges (numerical: k + 1 values) or categories. */
  x: (number | string)[]
  /** Shares of the column's non-missing values in each bin or category. */
  y: number[]
}

export interface ColumnDrift {
  column_type: DriftColumnType
  role: ColumnRole
  stattest?: string
  stattest_name?: string
  threshold?: number
  score?: number
  /** The multiple-testing-adjusted p-value, when a correction was asked for and the test gives p-values. */
  adjusted_score?: number
  drift_detected?: boolean
  /** Share of missing values (including ±inf) in each dataset. */
  missing: { reference: number; current: number }
  reference_distribution?: Distribution
  current_distribution?: Distribution
  /** Why no test could be computed for this column. */
  error?: string
  /** Why the column was not tested (e.g. text columns). */
  skipped?: string
}

export interface DriftReport {
  schema: 'sluice.drift/v1'
  dataset_drift: boolean
  drift_share: number
  number_of_columns: number
  number_of_drifted_columns: number
  share_of_drifted_columns: number
  correction: 'none' | 'bonferroni' | 'benjamini-hochberg'
  seed: number
  reference_rows: number
  current_rows: number
  /** Columns of the reference missing from the current data (and the other way round). */
  missing_columns: { in_current: string[]; in_reference: string[] }
  columns: Record<string, ColumnDrift>
}
