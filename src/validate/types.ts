import type { Digest } from '../core/hash.js'

/** The checks a contract can hold, named after its keys (`min`, `max` … per column; `rows`, `freshness`, `drift` per dataset). */
export type CheckName =
  | 'rows'
  | 'required'
  | 'type'
  | 'max_missing'
  | 'min'
  | 'max'
  | 'allowed'
  | 'regex'
  | 'unique'
  | 'freshness'
  | 'drift'

export type Scalar = number | string | boolean

/**
 * One check's outcome. `observed` is what the data holds and `expected` what the contract asks,
 * compared as the check's documentation says (docs/validate.md), e.g. `min`: observed ≥ expected.
 */
export interface CheckResult {
  check: CheckName
  /** The column checked; null for checks on the whole dataset. */
  column: string | null
  observed: Scalar | null
  expected: Scalar | Scalar[] | { min?: number; max?: number } | null
  passed: boolean
  /** Why the check was not run (a skipped check counts as passed). */
  skipped?: string
  /** A few offending values (allowed, regex, unique) or the drifted columns (drift). */
  examples?: Scalar[]
  /** One sentence for people, naming the column, what was found and what was expected. */
  message: string
}

/** A data file or registered dataset version that was validated or compared against. */
export interface DataSource {
  /** The file, or null for a dataset version fetched from the registry. */
  path: string | null
  /** `NAME@VERSION` of a registered dataset version, else null. */
  dataset: string | null
  fingerprint: Digest
  rows: number
}

export interface ValidationDoc {
  schema: 'sluice.validation/v1'
  data: { path: string; fingerprint: Digest; rows: number }
  contract: string
  reference: DataSource | null
  /** The time freshness was measured against (UTC ISO-8601). */
  checked_at: string
  passed: boolean
  summary: { checks: number; failed: number; skipped: number }
  checks: CheckResult[]
}
