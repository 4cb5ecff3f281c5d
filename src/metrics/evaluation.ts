import { z } from 'zod'
import { SluiceError } from '../core/errors.js'
import type { Digest } from '../core/hash.js'

/** A metric's value: a number (NaN when undefined on the data), or a matrix (`confusion_matrix`). */
export type MetricValue = number | number[][]

/** `sluice.evaluation/v1`: a model's quality on a labelled dataset (docs/schemas/evaluation.md). */
export interface EvaluationDoc {
  schema: 'sluice.evaluation/v1'
  model: {
    name: string
    version: number | null
    /** SHA-256 of the ONNX file evaluated; absent from documents written before it was recorded. */
    digest?: Digest
    size_bytes: number
    latency_ms: { p50: number; p99: number }
  }
  dataset: { path: string; fingerprint: Digest; rows: number }
  target: string
  task: 'classification' | 'regression'
  /** `id_column`: the data column beside each prediction, or null for the row number (column `row`). */
  predictions: { path: string; digest: Digest; id_column: string | null } | null
  metrics: Record<string, MetricValue>
  slices: Record<string, Record<string, Record<string, MetricValue>>>
}

// JSON has no NaN: an undefined metric is written as null and read back as NaN.
const metricValue = z.union([z.number(), z.null().transform(() => Number.NaN), z.array(z.array(z.number()))])
const metricMap = z.record(z.string(), metricValue)
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/) as unknown as z.ZodType<Digest>

const evaluationSchema = z.looseObject({
  schema: z.literal('sluice.evaluation/v1'),
  model: z.looseObject({
    name: z.string(),
    version: z.number().int().nullable(),
    digest: digest.optional(),
    size_bytes: z.number().nonnegative(),
    latency_ms: z.looseObject({ p50: z.number(), p99: z.number() }),
  }),
  dataset: z.looseObject({ path: z.string(), fingerprint: digest, rows: z.number().int().nonnegative() }),
  target: z.string(),
  task: z.enum(['classification', 'regression']),
  predictions: z
    .looseObject({
      path: z.string(),
      digest,
      // Documents written before the field existed: their predictions carry no `actual` column either.
      id_column: z.string().nullable().optional(),
    })
    .nullable(),
  metrics: metricMap,
  slices: z.record(z.string(), z.record(z.string(), metricMap)),
})

/** Checks a parsed JSON value is a `sluice.evaluation/v1` document; `source` names it in errors. */
export function parseEvaluationDoc(value: unknown, source: string): EvaluationDoc {
  const result = evaluationSchema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]!
    const where = issue.path.length ? `${issue.path.join('.')}: ` : ''
    throw new SluiceError(
      'INVALID_INPUT',
      `${source} is not a sluice.evaluation/v1 document (${where}${issue.message}); write one with \`sluice evaluate … --out FILE\``,
    )
  }
  const doc = result.data
  return {
    ...doc,
    predictions: doc.predictions && { ...doc.predictions, id_column: doc.predictions.id_column ?? null },
  } as EvaluationDoc
}
