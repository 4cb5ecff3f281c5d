import type { EvaluationDoc } from '../metrics/evaluation.js'
import { fmt, rowOf } from './conditions.js'
import type { Budget, GateRules } from './rules.js'
import type { GateRuleResult } from './types.js'

/** A megabyte here is 2^20 bytes, as `ls -lh` and `du -h` count. */
const MB = 1024 * 1024

const MEASURES: Record<Budget, { unit: string; of: (e: EvaluationDoc) => number }> = {
  model_size_mb: { unit: 'MB', of: (e) => e.model.size_bytes / MB },
  latency_ms_p50: { unit: 'ms', of: (e) => e.model.latency_ms.p50 },
  latency_ms_p99: { unit: 'ms', of: (e) => e.model.latency_ms.p99 },
}

/** Budgets are upper limits on the size and single-row latency the evaluation recorded. */
export function checkBudgets(budgets: GateRules['budgets'], candidate: EvaluationDoc): GateRuleResult[] {
  return Object.entries(budgets ?? {}).map(([key, limit]) => {
    const { unit, of } = MEASURES[key as Budget]
    const value = of(candidate)
    const passed = value <= limit
    return rowOf(
      { metric: key, slice: null, candidate: value, baseline: null, known: [], note: null },
      'budget',
      {
        observed: value,
        expected: limit,
        operator: '<=',
        passed,
        reason: passed
          ? `${fmt(value)} ${unit} <= ${fmt(limit)} ${unit}`
          : `${fmt(value)} ${unit} is over the budget of ${fmt(limit)} ${unit}`,
      },
    )
  })
}
