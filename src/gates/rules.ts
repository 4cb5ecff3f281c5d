import { z } from 'zod'
import { SluiceError } from '../core/errors.js'
import { parseYamlWith } from '../core/yaml.js'

/**
 * Gate rules, keyed by metric, with MLflow's `MetricThreshold` semantics (docs/gates.md):
 *
 *   gates:
 *     metrics:
 *       accuracy: {threshold: 0.80, greater_is_better: true}
 *       roc_auc:  {min_absolute_change: 0.005, significance: 0.05}
 *     slices:
 *       origin: {recall: {threshold: 0.50}}
 *     budgets: {model_size_mb: 50, latency_ms_p99: 5}
 */

/** Which way is better for the metrics sluice computes; other metrics must say `greater_is_better`. */
const GREATER_IS_BETTER: Readonly<Record<string, boolean>> = {
  accuracy: true,
  precision: true,
  recall: true,
  f1: true,
  f1_macro: true,
  f1_micro: true,
  f1_weighted: true,
  roc_auc: true,
  average_precision: true,
  r2: true,
  log_loss: false,
  brier_score: false,
  mae: false,
  rmse: false,
  mape: false,
}

const CONDITIONS = ['threshold', 'min_absolute_change', 'min_relative_change', 'significance'] as const

const conditions = {
  /** The candidate must reach this value. */
  threshold: z.number().optional(),
  /** The candidate must beat the baseline by at least this much. */
  min_absolute_change: z.number().nonnegative().optional(),
  /** … by at least this fraction of |baseline|. */
  min_relative_change: z.number().nonnegative().optional(),
  greater_is_better: z.boolean().optional(),
}

const hasCondition = (r: Record<string, unknown>) => CONDITIONS.some((c) => r[c] !== undefined)

const sliceRuleSchema = z
  .strictObject(conditions)
  .refine(hasCondition, 'give at least one of threshold, min_absolute_change, min_relative_change')

const metricRuleSchema = z
  .strictObject({
    ...conditions,
    /** The improvement over the baseline must be significant at this level (paired bootstrap). */
    significance: z.number().gt(0).lt(1).optional(),
  })
  .refine(
    hasCondition,
    'give at least one of threshold, min_absolute_change, min_relative_change, significance',
  )

/** Rules keyed by metric; a metric sluice does not know must say which way is better. */
function byMetric<S extends z.ZodType<{ greater_is_better?: boolean | undefined }>>(rule: S) {
  return z.record(z.string(), rule).superRefine((rules, ctx) => {
    for (const [metric, r] of Object.entries(rules)) {
      if (r.greater_is_better === undefined && !(metric in GREATER_IS_BETTER)) {
        ctx.addIssue({
          code: 'custom',
          path: [metric, 'greater_is_better'],
          message: `"${metric}" is not a metric sluice knows the direction of; add greater_is_better: true or false`,
        })
      }
    }
  })
}

export const gateRulesSchema = z.strictObject({
  metrics: byMetric(metricRuleSchema).optional(),
  /** Column → metric → rule, checked on every slice (value) of the column. */
  slices: z.record(z.string(), byMetric(sliceRuleSchema)).optional(),
  /** Upper limits on what the evaluation recorded of the model itself. */
  budgets: z
    .strictObject({
      model_size_mb: z.number().positive().optional(),
      latency_ms_p50: z.number().positive().optional(),
      latency_ms_p99: z.number().positive().optional(),
    })
    .optional(),
})

export type GateRules = z.output<typeof gateRulesSchema>
export type MetricRule = z.output<typeof metricRuleSchema>
export type SliceRule = z.output<typeof sliceRuleSchema>
export type Budget = keyof NonNullable<GateRules['budgets']>

/** Both `sluice.yaml` and a `--rules` file hold the rules under `gates:`; other keys are not ours. */
const fileSchema = z.looseObject({ gates: gateRulesSchema.optional() })

/**
 * The rules in the `gates:` section of a YAML text (sluice.yaml or a rules file), or null when
 * it has none. Errors name the file, the line and the key.
 */
export function parseGateRules(text: string, file: string): GateRules | null {
  const rules = parseYamlWith(fileSchema, text, file).gates
  if (rules === undefined) return null
  if (ruleCount(rules) === 0) {
    throw new SluiceError(
      'INVALID_CONFIG',
      `${file}: the gates section has no rules; add metrics, slices or budgets (see docs/gates.md)`,
    )
  }
  return rules
}

function ruleCount(r: GateRules): number {
  return (
    Object.keys(r.metrics ?? {}).length +
    Object.values(r.slices ?? {}).reduce((n, m) => n + Object.keys(m).length, 0) +
    Object.keys(r.budgets ?? {}).length
  )
}

/** The direction of a rule's metric: as the rule says, else sluice's default for the metric. */
export const greaterIsBetter = (metric: string, rule: SliceRule): boolean =>
  rule.greater_is_better ?? GREATER_IS_BETTER[metric]!

/** The conditions a rule sets, in the order they are reported. */
export function conditionsOf(rule: MetricRule): (typeof CONDITIONS)[number][] {
  return CONDITIONS.filter((c) => rule[c] !== undefined)
}
