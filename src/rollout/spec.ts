import { z } from 'zod'
import { DURATION_EXAMPLES, parseDuration } from '../core/duration.js'

/**
 * A rollout as written in a strategy file (YAML) or built from CLI flags. Steps read like Argo
 * Rollouts' (`setWeight`, `pause: {duration}`); the analysis like its AnalysisTemplate's metrics
 * (`failure_limit`, `consecutive_error_limit`), evaluated inside the model server.
 */

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v * 1000 : parseDuration(v)
  if (ms === null || !(ms > 0)) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as ${DURATION_EXAMPLES}` })
    return z.NEVER
  }
  return ms
})

const weight = z
  .number()
  .min(0, 'expected a weight from 0 to 100')
  .max(100, 'expected a weight from 0 to 100')

const stepSchema = z.union([
  z.strictObject({ setWeight: weight }),
  z.strictObject({
    pause: z.union([duration, z.strictObject({ duration: duration.optional() })]).transform((p) => ({
      duration_ms: typeof p === 'number' ? p : (p.duration ?? null),
    })),
  }),
])

export type Step = { setWeight: number } | { pause: { duration_ms: number | null } }

/** The signals a rule can watch, and what their value is. */
export const METRICS = {
  error_rate: 'share of requests answered with a server error (5xx)',
  latency_p50: 'median latency in milliseconds',
  latency_p99: '99th-percentile latency in milliseconds',
  prediction_drift: "drift test of the version's predictions against the stable's (drift engine)",
  shadow_disagreement: 'share of mirrored requests whose predicted label differs from the stable answer',
  shadow_latency_delta: 'median latency of the shadow minus the stable, in milliseconds',
} as const

export type BuiltinMetric = keyof typeof METRICS
/** A built-in signal, or `quality:KEY` (a live quality metric from joined labels). */
export type MetricName = BuiltinMetric | `quality:${string}`

const metricName = z.string().refine((m) => m in METRICS || /^quality:[a-z0-9_]+$/.test(m), {
  message: `expected one of ${Object.keys(METRICS).join(', ')} or quality:METRIC (e.g. quality:accuracy)`,
}) as z.ZodType<MetricName>

const ruleSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    metric: metricName,
    /** Fixed thresholds on the version's value. */
    max: z.number().optional(),
    min: z.number().optional(),
    /** Against the stable version in the same window: fails above stable × max_ratio and stable + max_increase. */
    vs_stable: z
      .strictObject({
        max_ratio: z.number().positive().optional(),
        max_increase: z.number().min(0).optional(),
      })
      .refine((v) => v.max_ratio !== undefined || v.max_increase !== undefined, {
        message: 'give max_ratio, max_increase or both',
      })
      .optional(),
    /** prediction_drift: the drift engine's test and its threshold. */
    stattest: z.string().optional(),
    threshold: z.number().optional(),
    /** Requests on the version in the window before the rule gives a verdict. */
    min_samples: z.number().int().min(1).optional(),
    /** Failed measurements allowed; one more aborts (Argo Rollouts' failureLimit). */
    failure_limit: z.number().int().min(0).default(0),
    /** Measurements in a row that could not be taken before the analysis fails (Argo's consecutiveErrorLimit). */
    consecutive_error_limit: z.number().int().min(0).default(4),
  })
  .refine(
    (r) => r.metric === 'prediction_drift' || [r.max, r.min, r.vs_stable].some((x) => x !== undefined),
    { message: 'give a threshold: max, min or vs_stable' },
  )

export type RuleSpec = z.output<typeof ruleSchema>
export interface Rule extends RuleSpec {
  name: string
  min_samples: number
}

const analysisSchema = z.strictObject({
  interval: duration.default(2000),
  window: duration.default(30_000),
  min_samples: z.number().int().min(1).default(20),
  rules: z.array(ruleSchema).min(1).optional(),
})

const abTestSchema = z.strictObject({
  metric: z
    .string()
    // Live quality (joined labels) is a rule metric; the A/B test reads per-request values only.
    .refine((m) => ['error_rate', 'latency_ms', 'score_mean'].includes(m), {
      message: 'expected error_rate, latency_ms or score_mean (the mean predicted score)',
    }),
  goal: z.enum(['minimize', 'maximize']).optional(),
  alpha: z.number().gt(0).lt(1).default(0.05),
  min_samples: z.number().int().min(1).default(500),
})

export type AbTest = { metric: string; goal: 'minimize' | 'maximize'; alpha: number; min_samples: number }

const armSchema = z.strictObject({ model: z.string().min(1), weight })

export const strategyFileSchema = z.strictObject({
  strategy: z.enum(['canary', 'shadow', 'ab']),
  steps: z.array(stepSchema).min(1).optional(),
  sticky_key: z.string().min(1).optional(),
  analysis: analysisSchema.optional(),
  /** A/B: the challengers (model references) and their weights; the stable takes the rest. */
  arms: z.array(armSchema).min(1).optional(),
  test: abTestSchema.optional(),
})

export const analysisFileSchema = z.strictObject({ analysis: analysisSchema })

export type Strategy = 'canary' | 'shadow' | 'ab'

export interface Analysis {
  interval_ms: number
  window_ms: number
  rules: Rule[]
}

/** A rollout's plan, resolved and checked: what the state machine follows. */
export interface RolloutSpec {
  strategy: Strategy
  steps: Step[]
  /** Body field, or `header:NAME`, whose value keeps an entity on one version; null routes by weight alone. */
  sticky_key: string | null
  analysis: Analysis
  /** A/B only: the sequential test that ends the experiment. */
  test: AbTest | null
}
