import { SluiceError } from '../core/errors.js'
import type { EvaluationDoc, MetricValue } from '../metrics/evaluation.js'
import { type MetricDraws, pairedBootstrap, resampledMetrics } from './bootstrap.js'
import { checkBudgets } from './budgets.js'
import { checkRule } from './conditions.js'
import type { PairedPredictions } from './paired.js'
import type { GateRules } from './rules.js'
import type { GateResult, GateRuleResult } from './types.js'

export const DEFAULT_RESAMPLES = 1000
export const DEFAULT_SEED = 0

export interface GateOptions {
  /** Why there is no baseline (e.g. the model has no champion yet); comparisons pass and say this. */
  noBaselineNote?: string
  /** Bootstrap seed and number of resamples for significance rules (defaults 0 and 1000). */
  seed?: number
  resamples?: number
}

/**
 * Checks gate rules on a candidate's evaluation, against a baseline's evaluation of the same data
 * when there is one. `paired` (both models' per-row predictions) is needed only for significance
 * rules with a baseline. Pure: everything it needs is in its arguments.
 */
export function evaluateGates(
  rules: GateRules,
  candidate: EvaluationDoc,
  baseline: EvaluationDoc | null,
  paired: PairedPredictions | null,
  options: GateOptions = {},
): GateResult {
  if (baseline) assertComparable(candidate, baseline)
  const note = baseline ? null : (options.noBaselineNote ?? 'there is no baseline to compare with')
  const seed = options.seed ?? DEFAULT_SEED
  const resamples = options.resamples ?? DEFAULT_RESAMPLES
  const draws = baseline ? significanceDraws(rules, candidate, baseline, paired, { seed, resamples }) : {}

  const rows: GateRuleResult[] = []
  for (const [metric, rule] of Object.entries(rules.metrics ?? {})) {
    rows.push(
      ...checkRule(
        {
          metric,
          slice: null,
          candidate: candidate.metrics[metric],
          baseline: baseline ? baseline.metrics[metric] : null,
          known: numericKeys(candidate.metrics),
          note,
          draws: draws[metric],
        },
        rule,
      ),
    )
  }
  for (const [column, byMetric] of Object.entries(rules.slices ?? {})) {
    const groups = candidate.slices[column]
    // Not sliced by the column: each rule fails once, saying how to slice.
    const values: [string | null, Record<string, MetricValue>][] = groups
      ? Object.entries(groups)
      : [[null, {}]]
    for (const [value, metrics] of values) {
      for (const [metric, rule] of Object.entries(byMetric)) {
        const base = value === null ? undefined : baseline?.slices[column]?.[value]
        rows.push(
          ...checkRule(
            {
              metric,
              slice: { column, value },
              candidate: metrics[metric],
              baseline: baseline ? base?.[metric] : null,
              known: numericKeys(metrics),
              note,
            },
            rule,
          ),
        )
      }
    }
  }
  rows.push(...checkBudgets(rules.budgets, candidate))

  const failed = rows.filter((r) => !r.passed).length
  const bootstrapped = Object.keys(draws).length > 0
  return {
    schema: 'sluice.gate/v1',
    passed: failed === 0,
    candidate: {
      name: candidate.model.name,
      version: candidate.model.version,
      dataset: candidate.dataset.path,
      fingerprint: candidate.dataset.fingerprint,
    },
    baseline: baseline && { name: baseline.model.name, version: baseline.model.version },
    note,
    summary: { rules: rows.length, passed: rows.length - failed, failed },
    rules: rows,
    bootstrap:
      bootstrapped && paired ? { method: 'paired-percentile', seed, resamples, rows: paired.rows } : null,
  }
}

/** A comparison means something only between evaluations of the same target on the same data. */
export function assertComparable(candidate: EvaluationDoc, baseline: EvaluationDoc): void {
  const differ = (what: string, a: unknown, b: unknown) =>
    new SluiceError(
      'INVALID_INPUT',
      `the candidate was evaluated with ${what} ${a} but the baseline with ${what} ${b}; evaluate both models on the same data and target`,
    )
  const data = (e: EvaluationDoc) => `${e.dataset.path} (${e.dataset.fingerprint})`
  if (candidate.dataset.fingerprint !== baseline.dataset.fingerprint)
    throw differ('data', data(candidate), data(baseline))
  if (candidate.target !== baseline.target) throw differ('target', candidate.target, baseline.target)
  if (candidate.task !== baseline.task) throw differ('task', candidate.task, baseline.task)
}

/** Bootstrap draws for the significance rules whose metric both evaluations hold. */
function significanceDraws(
  rules: GateRules,
  candidate: EvaluationDoc,
  baseline: EvaluationDoc,
  paired: PairedPredictions | null,
  o: { seed: number; resamples: number },
): Record<string, MetricDraws> {
  const finite = (v: MetricValue | undefined) => typeof v === 'number' && Number.isFinite(v)
  const metrics = Object.entries(rules.metrics ?? {})
    .filter(
      ([m, r]) => r.significance !== undefined && finite(candidate.metrics[m]) && finite(baseline.metrics[m]),
    )
    .map(([m]) => m)
  if (metrics.length === 0) return {}
  if (!paired || paired.task !== candidate.task) {
    throw new SluiceError(
      'INVALID_INPUT',
      `significance rules (${metrics.join(', ')}) compare the models row by row: both evaluations need their per-row predictions (sluice evaluate … --predictions-out FILE)`,
    )
  }
  const available = resampledMetrics(paired)
  const unavailable = metrics.filter((m) => !available.includes(m))
  if (unavailable.length) {
    throw new SluiceError(
      'INVALID_CONFIG',
      `significance cannot be computed for ${unavailable.join(', ')}; it can for ${available.join(', ')}`,
    )
  }
  return pairedBootstrap(paired, metrics, o)
}

const numericKeys = (m: Record<string, MetricValue>) => Object.keys(m).filter((k) => typeof m[k] === 'number')
