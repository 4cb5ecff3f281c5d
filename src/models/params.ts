import { z } from 'zod'
import { SluiceError } from '../core/errors.js'
import { GBDT_DEFAULTS } from './gbdt/booster.js'
import { LINEAR_DEFAULTS, LOGISTIC_DEFAULTS } from './linear/fit.js'

export const ALGORITHMS = ['gbdt', 'logistic', 'linear'] as const
export type Algorithm = (typeof ALGORITHMS)[number]

const positive = z.number().positive()
const count = z.number().int().positive()

/** Each trainer's parameters: names as scikit-learn's, defaults as scikit-learn's. */
const SCHEMAS = {
  gbdt: z.strictObject({
    learning_rate: positive.default(GBDT_DEFAULTS.learning_rate),
    max_iter: count.default(GBDT_DEFAULTS.max_iter),
    max_leaf_nodes: z.number().int().min(2).default(GBDT_DEFAULTS.max_leaf_nodes),
    max_depth: count.nullable().default(GBDT_DEFAULTS.max_depth),
    min_samples_leaf: count.default(GBDT_DEFAULTS.min_samples_leaf),
    l2_regularization: z.number().min(0).default(GBDT_DEFAULTS.l2_regularization),
    max_bins: z.number().int().min(2).max(255).default(GBDT_DEFAULTS.max_bins),
    early_stopping: z.union([z.literal('auto'), z.boolean()]).default(GBDT_DEFAULTS.early_stopping),
    n_iter_no_change: count.default(GBDT_DEFAULTS.n_iter_no_change),
    tol: z.number().min(0).default(GBDT_DEFAULTS.tol),
    growth: z.enum(['leaf', 'depth']).default(GBDT_DEFAULTS.growth),
    validation_fraction: z.number().min(0).max(0.9).default(0.1),
  }),
  logistic: z.strictObject({
    C: positive.default(LOGISTIC_DEFAULTS.C),
    max_iter: count.default(LOGISTIC_DEFAULTS.max_iter),
    tol: positive.default(LOGISTIC_DEFAULTS.tol),
    validation_fraction: z.number().min(0).max(0.9).default(0.1),
  }),
  linear: z.strictObject({
    alpha: z.number().min(0).default(LINEAR_DEFAULTS.alpha),
    validation_fraction: z.number().min(0).max(0.9).default(0.1),
  }),
}

export type ParamsOf<A extends Algorithm> = z.output<(typeof SCHEMAS)[A]>

export function checkAlgorithm(algo: string): Algorithm {
  if (!(ALGORITHMS as readonly string[]).includes(algo)) {
    throw new SluiceError('USAGE', `unknown algorithm "${algo}"; choose one of ${ALGORITHMS.join(', ')}`)
  }
  return algo as Algorithm
}

/** Validates parameters for an algorithm, filling defaults; an unknown or bad one is an error listing the valid ones. */
export function resolveParams<A extends Algorithm>(algo: A, given: Record<string, unknown>): ParamsOf<A> {
  const schema = SCHEMAS[algo]
  const valid = Object.keys(schema.shape)
  for (const key of Object.keys(given)) {
    if (!valid.includes(key))
      throw new SluiceError(
        'USAGE',
        `unknown parameter "${key}" for ${algo}; valid parameters: ${valid.join(', ')}`,
      )
  }
  const r = schema.safeParse(given)
  if (!r.success) {
    const issue = r.error.issues[0]!
    throw new SluiceError(
      'USAGE',
      `parameter ${issue.path.join('.')} for ${algo}: ${issue.message} (got ${JSON.stringify((given as Record<string, unknown>)[String(issue.path[0])])})`,
    )
  }
  return r.data as ParamsOf<A>
}
