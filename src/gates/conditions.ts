import type { MetricValue } from '../metrics/evaluation.js'
import { type MetricDraws, percentileInterval } from './bootstrap.js'
import { conditionsOf, greaterIsBetter, type MetricRule } from './rules.js'
import type { Condition, GateRuleResult } from './types.js'

/** One metric of one rule, overall or on one slice, as both evaluations recorded it. */
export interface Subject {
  metric: string
  slice: { column: string; value: string | null } | null
  /** undefined: the candidate's evaluation lacks the metric (or the slice). */
  candidate: MetricValue | undefined
  /** null: there is no baseline at all; undefined: the baseline's evaluation lacks the metric. */
  baseline: MetricValue | undefined | null
  /** The metrics the candidate's evaluation has here, to name in a message. */
  known: string[]
  /** Why there is no baseline, when `baseline` is null. */
  note: string | null
  /** The bootstrap draws of the metric, for a significance condition. */
  draws?: MetricDraws | undefined
}

type Outcome = Pick<GateRuleResult, 'observed' | 'passed' | 'reason'> & { ci?: GateRuleResult['ci'] }

/** Checks every condition of a rule on one subject: one row per condition. */
export function checkRule(s: Subject, rule: MetricRule): GateRuleResult[] {
  const up = greaterIsBetter(s.metric, rule)
  return conditionsOf(rule).map((condition) => {
    const target = rule[condition]!
    const outcome =
      candidateProblem(s) ??
      (condition === 'threshold'
        ? threshold(number(s.candidate)!, target, up)
        : (baselineProblem(s) ?? compare(condition, s, target, up)))
    // Significance compares the interval's lower bound with 0; the rule's value is its level.
    const expected = condition === 'significance' ? 0 : target
    const operator = condition === 'significance' ? '>' : condition === 'threshold' && !up ? '<=' : '>='
    return rowOf(s, condition, { ...outcome, expected, operator })
  })
}

export function rowOf(
  s: Subject,
  condition: Condition,
  o: Outcome & Pick<GateRuleResult, 'expected' | 'operator'>,
): GateRuleResult {
  const where = s.slice ? `${s.slice.column}${s.slice.value === null ? '' : `=${s.slice.value}`} ` : ''
  return {
    name: `${where}${s.metric} ${condition}`,
    metric: s.metric,
    slice: s.slice,
    observed: o.observed,
    expected: o.expected,
    passed: o.passed,
    reason: o.reason,
    condition,
    operator: o.operator,
    candidate: number(s.candidate),
    baseline: s.baseline === null ? null : number(s.baseline),
    ci: o.ci ?? null,
  }
}

function threshold(value: number, target: number, up: boolean): Outcome {
  const passed = up ? atLeast(value, target) : atLeast(target, value)
  return {
    observed: value,
    passed,
    reason: passed
      ? `${fmt(value)} ${up ? '>=' : '<='} ${fmt(target)}`
      : `${fmt(value)} is ${up ? 'below' : 'above'} the threshold ${fmt(target)}`,
  }
}

/** The conditions against the baseline: absolute and relative change, significance. */
function compare(condition: Condition, s: Subject, target: number, up: boolean): Outcome {
  const c = number(s.candidate)!
  const b = number(s.baseline)!
  const improvement = up ? c - b : b - c
  const values = `${fmt(c)} vs ${fmt(b)}`
  if (condition === 'min_absolute_change') {
    const passed = atLeast(improvement, target)
    return {
      observed: improvement,
      passed,
      reason: `improvement ${fmt(improvement)} over the baseline (${values}); ${passed ? 'at least' : 'needs at least'} ${fmt(target)}`,
    }
  }
  if (condition === 'min_relative_change') {
    // A baseline of 0 makes any improvement infinitely large and any loss infinitely bad.
    const ratio =
      improvement === 0 ? 0 : b === 0 ? Math.sign(improvement) * Infinity : improvement / Math.abs(b)
    const passed = atLeast(ratio, target)
    return {
      observed: Number.isFinite(ratio) ? ratio : null,
      passed,
      reason: `${
        Number.isFinite(ratio)
          ? `improvement ${pct(ratio)} of the baseline`
          : `the baseline is 0, so the relative change is ${ratio > 0 ? '+' : '-'}infinite`
      } (${values}); ${passed ? 'at least' : 'needs at least'} ${pct(target)}`,
    }
  }
  return significance(s.draws!, target, up)
}

function significance(draws: MetricDraws, alpha: number, up: boolean): Outcome {
  const confidence = 1 - alpha
  const sign = up ? 1 : -1
  const {
    low,
    high,
    undefined: undefinedDraws,
  } = percentileInterval(
    draws.differences.map((d) => sign * d),
    confidence,
  )
  const improvement = sign * (draws.candidate - draws.baseline)
  const ci = { confidence, low, high, improvement, undefined_resamples: undefinedDraws }
  const interval = `${fmt(confidence * 100)}% CI [${fmt(low)}, ${fmt(high)}]`
  if (Number.isNaN(low)) {
    return {
      observed: null,
      passed: false,
      reason: 'the metric is undefined in every bootstrap resample',
      ci,
    }
  }
  const passed = low > 0
  return {
    observed: low,
    passed,
    reason: `improvement ${fmt(improvement)}, ${interval} ${
      passed
        ? 'excludes 0'
        : high < 0
          ? 'is below 0: significantly worse'
          : `includes 0: not significant at ${fmt(alpha)}`
    }`,
    ci,
  }
}

/** Fails a condition whose candidate value is missing or not a number, naming the metric. */
function candidateProblem(s: Subject): Outcome | null {
  const at = s.slice?.value != null ? ` for ${s.slice.column}=${s.slice.value}` : ''
  if (s.candidate === undefined) {
    const reason =
      s.slice && s.slice.value === null
        ? `the evaluation is not sliced by "${s.slice.column}"; evaluate with --slice-by ${s.slice.column}`
        : `the evaluation has no metric "${s.metric}"${at}; it has ${s.known.join(', ') || 'none'}`
    return failed(reason)
  }
  if (typeof s.candidate !== 'number') return failed(`"${s.metric}" is not a single number`)
  if (Number.isNaN(s.candidate))
    return failed(`${s.metric} is undefined${at} (null in the evaluation, e.g. a class is absent)`)
  return null
}

/** A comparison without a baseline passes and says why; one with a baseline lacking the metric fails. */
function baselineProblem(s: Subject): Outcome | null {
  if (s.baseline === null) {
    return { observed: null, passed: true, reason: `passes: ${s.note}` }
  }
  const at = s.slice?.value != null ? ` for ${s.slice.column}=${s.slice.value}` : ''
  if (s.baseline === undefined) return failed(`the baseline's evaluation has no metric "${s.metric}"${at}`)
  if (typeof s.baseline !== 'number' || Number.isNaN(s.baseline))
    return failed(`${s.metric} is undefined for the baseline${at}`)
  return null
}

const failed = (reason: string): Outcome => ({ observed: null, passed: false, reason })

/**
 * a ≥ b, allowing for float rounding: (0.82 − 0.8) / 0.8 is 0.024999999999999967, and a rule
 * asking for 0.025 should pass.
 */
const atLeast = (a: number, b: number) => a >= b - 1e-12 * Math.max(1, Math.abs(b))

const number = (v: MetricValue | undefined | null): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null

/** Four significant digits, as the CLI prints metrics. */
export const fmt = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x))

const pct = (x: number) => `${fmt(x * 100)}%`
