import type { Column } from '../data/frame.js'
import { computeColumnDrift } from '../drift/column.js'
import { fisherExact2x2 } from '../stats/fisher.js'
import type { MetricName, Rule } from './spec.js'
import type { Sample } from './window.js'

export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error'

/** One rule measured on one version over the window: the value, what it was held to, the verdict. */
export interface Measurement {
  rule: string
  metric: MetricName
  version: number
  value: number | null
  /** The stable version's value in the same window, when the rule compares with it. */
  stable: number | null
  /** The value beyond which the rule fails (above for max/vs_stable, below for min; the threshold for drift). */
  limit: number | null
  samples: number
  stable_samples: number
  verdict: Verdict
  message: string
}

/** Live quality of a version from joined labels (the monitoring module fills it); null when it has none. */
export type QualitySource = (
  version: number,
  metric: string,
  since: number,
) => { value: number; samples: number } | null

/** Significance an error-rate increase needs before a vs-stable rule fails on it (Fisher's exact test). */
const ERROR_RATE_ALPHA = 0.05

/**
 * Measures a rule on a candidate's samples against the stable's in the same window. Pure: the
 * samples in, a measurement out. Fewer samples than the rule's minimum give `inconclusive`; a
 * signal that cannot be read (no predictions, no labels) gives `error`.
 */
export function measureRule(
  rule: Rule,
  version: number,
  candidate: Sample[],
  stable: Sample[],
  context: { quality?: QualitySource; since: number },
): Measurement {
  const base = {
    rule: rule.name,
    metric: rule.metric,
    version,
    value: null,
    stable: null,
    limit: null,
    samples: candidate.length,
    stable_samples: stable.length,
  }
  const verdict = (v: Verdict, message: string, extra: Partial<Measurement> = {}): Measurement => ({
    ...base,
    ...extra,
    verdict: v,
    message,
  })
  if (rule.metric.startsWith('quality:')) {
    const key = rule.metric.slice('quality:'.length)
    const q = context.quality?.(version, key, context.since) ?? null
    if (!q)
      return verdict(
        'error',
        `no live ${key} for version ${version}: no labels have been joined to its predictions yet`,
      )
    if (q.samples < rule.min_samples)
      return verdict('inconclusive', `${q.samples} labelled rows, fewer than ${rule.min_samples}`, {
        samples: q.samples,
      })
    return judge(rule, q.value, null, { ...base, samples: q.samples })
  }
  if (candidate.length < rule.min_samples)
    return verdict('inconclusive', `${candidate.length} requests, fewer than ${rule.min_samples}`)
  switch (rule.metric) {
    case 'error_rate': {
      const errors = candidate.filter((s) => !s.ok).length
      const value = errors / candidate.length
      // Fixed bounds are absolute: no significance gate waives them.
      const fixed = judge({ ...rule, vs_stable: undefined }, value, null, base)
      if (fixed.verdict === 'fail' || !rule.vs_stable) return fixed
      if (stable.length === 0)
        return verdict('inconclusive', 'no requests on the stable version to compare with', { value })
      const stableErrors = stable.filter((s) => !s.ok).length
      const m = judge(rule, value, stableErrors / stable.length, base)
      if (m.verdict !== 'fail') return m
      // An increase over the limit fails only when it is not chance at this sample size (one-sided: an increase).
      const p = fisherExact2x2(
        errors,
        candidate.length - errors,
        stableErrors,
        stable.length - stableErrors,
        'greater',
      ).pvalue
      return p < ERROR_RATE_ALPHA
        ? { ...m, message: `${m.message} (Fisher p = ${p.toPrecision(3)})` }
        : {
            ...m,
            verdict: 'pass',
            message: `above the limit but not significantly (Fisher p = ${p.toPrecision(3)})`,
          }
    }
    case 'latency_p50':
    case 'latency_p99': {
      const q = rule.metric === 'latency_p50' ? 0.5 : 0.99
      const value = quantile(
        candidate.map((s) => s.latency_ms),
        q,
      )
      if (!rule.vs_stable) return judge(rule, value, null, base)
      if (stable.length === 0)
        return verdict('inconclusive', 'no requests on the stable version to compare with', { value })
      return judge(
        rule,
        value,
        quantile(
          stable.map((s) => s.latency_ms),
          q,
        ),
        base,
      )
    }
    case 'prediction_drift':
      return drift(rule, candidate, stable, base)
    case 'shadow_disagreement': {
      let rows = 0
      let differ = 0
      for (const s of candidate) {
        const mine = s.predictions?.labels
        const theirs = s.reference?.predictions.labels
        if (!mine || !theirs) continue
        for (let i = 0; i < Math.min(mine.length, theirs.length); i++) {
          rows++
          if (!same(mine[i]!, theirs[i]!)) differ++
        }
      }
      if (rows === 0)
        return verdict('error', 'no mirrored request has predictions on both versions to compare')
      return judge(rule, differ / rows, null, base)
    }
    case 'shadow_latency_delta': {
      const deltas = candidate.flatMap((s) => (s.reference ? [s.latency_ms - s.reference.latency_ms] : []))
      if (deltas.length === 0) return verdict('error', 'no mirrored request to compare latencies on')
      return judge(rule, quantile(deltas, 0.5), null, base)
    }
  }
  return verdict('error', `unknown metric ${rule.metric}`)
}

/** Compares a value with the rule's thresholds: fixed ones, and those derived from the stable's value. */
function judge(
  rule: Rule,
  value: number,
  stable: number | null,
  base: Omit<Measurement, 'verdict' | 'message'>,
): Measurement {
  const out = { ...base, value, stable }
  if (rule.max !== undefined && value > rule.max)
    return {
      ...out,
      limit: rule.max,
      verdict: 'fail',
      message: `${fmt(value)} is above the maximum ${fmt(rule.max)}`,
    }
  if (rule.min !== undefined && value < rule.min)
    return {
      ...out,
      limit: rule.min,
      verdict: 'fail',
      message: `${fmt(value)} is below the minimum ${fmt(rule.min)}`,
    }
  if (rule.vs_stable && stable !== null) {
    // Above every bound given: a ratio alone would fire on tiny stable values, an increase alone on large ones.
    const bounds = [
      rule.vs_stable.max_ratio === undefined ? null : stable * rule.vs_stable.max_ratio,
      rule.vs_stable.max_increase === undefined ? null : stable + rule.vs_stable.max_increase,
    ].filter((b): b is number => b !== null)
    const limit = Math.max(...bounds)
    return value > limit
      ? {
          ...out,
          limit,
          verdict: 'fail',
          message: `${fmt(value)} is above ${fmt(limit)} (stable ${fmt(stable)})`,
        }
      : {
          ...out,
          limit,
          verdict: 'pass',
          message: `${fmt(value)} within ${fmt(limit)} (stable ${fmt(stable)})`,
        }
  }
  return {
    ...out,
    limit: rule.max ?? rule.min ?? null,
    verdict: 'pass',
    message: `${fmt(value)} within bounds`,
  }
}

/**
 * The drift engine's test between the candidate's predictions and the stable's: for a shadow,
 * against the stable's answers to the very same requests; otherwise against the stable's own
 * requests in the window. Scores are tested as numbers; models with only labels, as categories.
 */
function drift(
  rule: Rule,
  candidate: Sample[],
  stable: Sample[],
  base: Omit<Measurement, 'verdict' | 'message'>,
): Measurement {
  const mirrored = candidate.some((s) => s.reference)
  const mine = candidate.map((s) => s.predictions)
  const theirs = mirrored
    ? candidate.map((s) => s.reference?.predictions ?? null)
    : stable.map((s) => s.predictions)
  const fail = (message: string): Measurement => ({ ...base, verdict: 'error', message })
  if (!mirrored && stable.length < rule.min_samples)
    return {
      ...base,
      verdict: 'inconclusive',
      message: `${stable.length} stable requests, fewer than ${rule.min_samples}`,
    }
  const numeric = mine.some((p) => p?.scores) && theirs.some((p) => p?.scores)
  const pick = (p: (typeof mine)[number]) => (numeric ? p?.scores : p?.labels) ?? []
  const cur = mine.flatMap(pick)
  const ref = theirs.flatMap(pick)
  if (cur.length === 0 || ref.length === 0) return fail('no predictions to compare')
  const result = computeColumnDrift({
    mapped: { name: 'prediction', type: numeric ? 'numerical' : 'categorical', role: 'prediction' },
    type: numeric ? 'num' : 'cat',
    reference: column(ref, numeric),
    current: column(cur, numeric),
    stattest: rule.stattest ?? 'ks',
    threshold: rule.threshold,
    binning: undefined,
    seed: 0,
  })
  if (result.error || result.score === undefined)
    return fail(`drift test failed: ${result.error ?? 'no score'}`)
  const limit = result.threshold ?? null
  const verdict: Verdict = result.drift_detected ? 'fail' : 'pass'
  return {
    ...base,
    value: result.score,
    limit,
    stable_samples: mirrored ? candidate.length : stable.length,
    verdict,
    message: `${result.stattest} ${fmt(result.score)} vs threshold ${limit}: ${result.drift_detected ? 'predictions drifted from the stable version' : 'no drift'}`,
  }
}

function column(values: (string | number)[], numeric: boolean): Column {
  const missing = new Uint8Array(values.length)
  if (numeric) {
    const v = Float64Array.from(values as number[])
    let missingCount = 0
    v.forEach((x, i) => {
      if (Number.isNaN(x)) {
        missing[i] = 1
        missingCount++
      }
    })
    return { name: 'prediction', kind: 'number', dtype: 'float', values: v, missing, missingCount }
  }
  const dictionary: string[] = []
  const index = new Map<string, number>()
  const codes = Int32Array.from(values, (x) => {
    const key = String(x)
    let code = index.get(key)
    if (code === undefined) {
      code = dictionary.push(key) - 1
      index.set(key, code)
    }
    return code
  })
  return {
    name: 'prediction',
    kind: 'category',
    dtype: 'string',
    codes,
    dictionary,
    missing,
    missingCount: 0,
  }
}

function same(a: string | number, b: string | number): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b))
  return a === b
}

/** Linear-interpolated quantile (NumPy's default). */
export function quantile(values: number[], q: number): number {
  const sorted = Float64Array.from(values).sort()
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

const fmt = (x: number) =>
  Math.abs(x) >= 100 || Number.isInteger(x) ? String(Math.round(x * 100) / 100) : x.toPrecision(3)
