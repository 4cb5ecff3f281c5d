/** What one rule row checks; a rule with several conditions gives one row per condition. */
export type Condition =
  | 'threshold'
  | 'min_absolute_change'
  | 'min_relative_change'
  | 'significance'
  | 'budget'

/** One checked condition of `sluice.gate/v1` (docs/schemas/gate.md). */
export interface GateRuleResult {
  /** Stable and unique within a result, e.g. `roc_auc min_absolute_change`, `origin=JFK recall threshold`. */
  name: string
  metric: string
  /** The slice the row is about; `value` is null when the evaluation lacks the column. */
  slice: { column: string; value: string | null } | null
  /** What is compared with `expected`: the value (threshold, budget), the improvement (changes), the CI's lower bound (significance). */
  observed: number | null
  expected: number
  passed: boolean
  /** Why, in words; names the missing metric, or why a relative rule passed without a baseline. */
  reason: string
  condition: Condition
  /** `observed OPERATOR expected` must hold. */
  operator: '>=' | '<=' | '>'
  /** The metric's value for the candidate and the baseline (null when absent or undefined). */
  candidate: number | null
  baseline: number | null
  /** Significance rows: the percentile interval of the improvement over the baseline. */
  ci: ConfidenceInterval | null
}

export interface ConfidenceInterval {
  confidence: number
  low: number
  high: number
  /** The improvement on the evaluation rows themselves. */
  improvement: number
  /** Resamples in which the metric was undefined (e.g. no positive row); left out of the interval. */
  undefined_resamples: number
}

export interface GateResult {
  schema: 'sluice.gate/v1'
  passed: boolean
  /** `name` as the evaluation gave it: null for an unnamed model (a file). */
  candidate: { name: string | null; version: number | null; dataset: string; fingerprint: string }
  baseline: { name: string | null; version: number | null } | null
  /** Why there is no baseline, when there is none. */
  note: string | null
  summary: { rules: number; passed: number; failed: number }
  rules: GateRuleResult[]
  /** How the significance rows were computed; null without significance rules checked against a baseline. */
  bootstrap: { method: 'paired-percentile'; seed: number; resamples: number; rows: number } | null
}
