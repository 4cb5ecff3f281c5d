import { describe, expect, it } from 'vitest'
import { evaluationDoc } from '../../test/support/evaluations.js'
import { evaluateGates } from './evaluate.js'
import type { GateRules } from './rules.js'
import type { GateRuleResult } from './types.js'

const candidate = evaluationDoc({
  accuracy: 0.82,
  roc_auc: 0.9,
  log_loss: 0.4,
  confusion_matrix: [
    [1, 2],
    [3, 4],
  ],
})
const champion = evaluationDoc(
  { accuracy: 0.8, roc_auc: 0.88, log_loss: 0.45 },
  { model: { ...candidate.model, version: 1 } },
)

const gate = (rules: GateRules, baseline = champion, options = {}) =>
  evaluateGates(rules, candidate, baseline, null, options)
const rows = (rules: GateRules, baseline = champion) => gate(rules, baseline).rules
const only = (rules: GateRules, baseline = champion): GateRuleResult => {
  const r = rows(rules, baseline)
  expect(r).toHaveLength(1)
  return r[0]!
}

describe('threshold', () => {
  it('greater is better: passes at or above, fails below', () => {
    expect(only({ metrics: { accuracy: { threshold: 0.82 } } })).toMatchObject({
      name: 'accuracy threshold',
      metric: 'accuracy',
      slice: null,
      observed: 0.82,
      expected: 0.82,
      operator: '>=',
      passed: true,
    })
    const failed = only({ metrics: { accuracy: { threshold: 0.85, greater_is_better: true } } })
    expect(failed).toMatchObject({ passed: false, reason: '0.82 is below the threshold 0.85' })
  })

  it('lower is better: passes at or below, fails above; the rule may override the direction', () => {
    expect(only({ metrics: { log_loss: { threshold: 0.5 } } })).toMatchObject({
      passed: true,
      operator: '<=',
    })
    expect(only({ metrics: { log_loss: { threshold: 0.3 } } })).toMatchObject({
      passed: false,
      reason: '0.4 is above the threshold 0.3',
    })
    expect(only({ metrics: { accuracy: { threshold: 0.8, greater_is_better: false } } }).passed).toBe(false)
  })
})

describe('changes against the baseline', () => {
  it('min_absolute_change in both directions', () => {
    const up = only({ metrics: { roc_auc: { min_absolute_change: 0.01 } } })
    expect(up).toMatchObject({ passed: true, candidate: 0.9, baseline: 0.88, expected: 0.01 })
    expect(up.observed).toBeCloseTo(0.02, 12)
    expect(only({ metrics: { roc_auc: { min_absolute_change: 0.03 } } }).passed).toBe(false)
    // log_loss fell by 0.05: an improvement of 0.05.
    const down = only({ metrics: { log_loss: { min_absolute_change: 0.04 } } })
    expect(down.passed).toBe(true)
    expect(down.observed).toBeCloseTo(0.05, 12)
    expect(only({ metrics: { log_loss: { min_absolute_change: 0.06 } } }).passed).toBe(false)
    // A candidate worse than the baseline fails even a zero minimum.
    const worse = only({ metrics: { roc_auc: { min_absolute_change: 0 } } }, evaluationDoc({ roc_auc: 0.95 }))
    expect(worse).toMatchObject({ passed: false })
    expect(worse.observed).toBeCloseTo(-0.05, 12)
  })

  it('min_relative_change is relative to |baseline|, in both directions', () => {
    const r = only({ metrics: { accuracy: { min_relative_change: 0.025 } } })
    expect(r.observed).toBeCloseTo(0.025, 12)
    expect(r.passed).toBe(true)
    expect(r.reason).toMatch(/^improvement 2\.5% of the baseline \(0\.82 vs 0\.8\); at least 2\.5%$/)
    expect(only({ metrics: { accuracy: { min_relative_change: 0.03 } } }).passed).toBe(false)
    const loss = only({ metrics: { log_loss: { min_relative_change: 0.1 } } })
    expect(loss.observed).toBeCloseTo(0.05 / 0.45, 12)
    expect(loss.passed).toBe(true)
    expect(only({ metrics: { log_loss: { min_relative_change: 0.12 } } }).passed).toBe(false)
  })

  it('a baseline of 0: any improvement passes, no change passes only a zero minimum, a loss fails', () => {
    const zero = (v: number) => evaluationDoc({ r2: 0, x: v })
    const rule = (min: number) => ({ metrics: { r2: { min_relative_change: min } } })
    const better = evaluateGates(rule(0.5), evaluationDoc({ r2: 0.1 }), zero(0), null).rules[0]!
    expect(better).toMatchObject({ passed: true, observed: null })
    expect(better.reason).toMatch(/the baseline is 0, so the relative change is \+infinite/)
    expect(evaluateGates(rule(0), evaluationDoc({ r2: 0 }), zero(0), null).rules[0]!.passed).toBe(true)
    expect(evaluateGates(rule(0.1), evaluationDoc({ r2: 0 }), zero(0), null).rules[0]!.passed).toBe(false)
    expect(evaluateGates(rule(0), evaluationDoc({ r2: -0.1 }), zero(0), null).rules[0]!.passed).toBe(false)
  })

  it('several conditions in one rule give one row each, and all must hold', () => {
    const result = gate({ metrics: { log_loss: { threshold: 0.6, min_relative_change: 0.2 } } })
    expect(result.rules.map((r) => [r.name, r.passed])).toEqual([
      ['log_loss threshold', true],
      ['log_loss min_relative_change', false],
    ])
    expect(result).toMatchObject({ passed: false, summary: { rules: 2, passed: 1, failed: 1 } })
  })
})

describe('missing and undefined metrics fail, naming the metric', () => {
  it('a metric the candidate lacks', () => {
    const r = only({ metrics: { f1_macro: { threshold: 0.5 } } })
    expect(r).toMatchObject({ passed: false, candidate: null })
    expect(r.reason).toBe('the evaluation has no metric "f1_macro"; it has accuracy, roc_auc, log_loss')
    // Even a comparison without any baseline must not pass on a missing metric.
    const alone = evaluateGates({ metrics: { f1_macro: { min_absolute_change: 0 } } }, candidate, null, null)
    expect(alone.rules[0]).toMatchObject({ passed: false, reason: expect.stringContaining('"f1_macro"') })
  })

  it('a metric the baseline lacks, an undefined (null) metric, a matrix', () => {
    expect(only({ metrics: { accuracy: { min_absolute_change: 0 } } }, evaluationDoc({ f1: 1 })).reason).toBe(
      'the baseline\'s evaluation has no metric "accuracy"',
    )
    const nan = evaluateGates(
      { metrics: { roc_auc: { threshold: 0.5 } } },
      evaluationDoc({ roc_auc: Number.NaN }),
      null,
      null,
    )
    expect(nan.rules[0]!.reason).toMatch(/^roc_auc is undefined/)
    expect(nan.passed).toBe(false)
    expect(only({ metrics: { confusion_matrix: { threshold: 1, greater_is_better: true } } }).reason).toBe(
      '"confusion_matrix" is not a single number',
    )
  })
})

describe('without a baseline', () => {
  it('comparisons pass and say why; thresholds still apply', () => {
    const result = evaluateGates(
      {
        metrics: {
          roc_auc: {
            threshold: 0.95,
            min_absolute_change: 0.01,
            min_relative_change: 0.01,
            significance: 0.05,
          },
        },
      },
      candidate,
      null,
      null,
      { noBaselineNote: 'model "churn" has no "champion" yet, so there is nothing to compare with' },
    )
    expect(result.note).toBe('model "churn" has no "champion" yet, so there is nothing to compare with')
    expect(result.baseline).toBeNull()
    expect(result.bootstrap).toBeNull()
    expect(result.rules.map((r) => [r.condition, r.passed])).toEqual([
      ['threshold', false],
      ['min_absolute_change', true],
      ['min_relative_change', true],
      ['significance', true],
    ])
    for (const r of result.rules.slice(1)) expect(r.reason).toBe(`passes: ${result.note}`)
  })
})

describe('slices', () => {
  const sliced = evaluationDoc(
    { recall: 0.7 },
    {
      slices: {
        origin: { JFK: { recall: 0.6 }, LAX: { recall: 0.45 }, '(missing)': { recall: 0.52 } },
      },
    },
  )

  it('checks every value of the column', () => {
    const result = evaluateGates({ slices: { origin: { recall: { threshold: 0.5 } } } }, sliced, null, null)
    expect(result.rules.map((r) => [r.name, r.slice, r.passed])).toEqual([
      ['origin=JFK recall threshold', { column: 'origin', value: 'JFK' }, true],
      ['origin=LAX recall threshold', { column: 'origin', value: 'LAX' }, false],
      ['origin=(missing) recall threshold', { column: 'origin', value: '(missing)' }, true],
    ])
  })

  it('compares each slice with the same slice of the baseline', () => {
    const base = evaluationDoc({}, { slices: { origin: { JFK: { recall: 0.5 }, LAX: { recall: 0.5 } } } })
    const result = evaluateGates(
      { slices: { origin: { recall: { min_absolute_change: 0 } } } },
      sliced,
      base,
      null,
    )
    expect(result.rules.map((r) => [r.slice?.value, r.passed])).toEqual([
      ['JFK', true],
      ['LAX', false],
      ['(missing)', false],
    ])
    expect(result.rules[2]!.reason).toBe(
      'the baseline\'s evaluation has no metric "recall" for origin=(missing)',
    )
  })

  it('fails when the evaluation was not sliced by the column, or a slice lacks the metric', () => {
    const result = evaluateGates(
      { slices: { carrier: { recall: { threshold: 0.5 } }, origin: { precision: { threshold: 0.5 } } } },
      sliced,
      null,
      null,
    )
    expect(result.rules[0]).toMatchObject({
      name: 'carrier recall threshold',
      slice: { column: 'carrier', value: null },
      passed: false,
      reason: 'the evaluation is not sliced by "carrier"; evaluate with --slice-by carrier',
    })
    expect(result.rules[1]!.reason).toBe(
      'the evaluation has no metric "precision" for origin=JFK; it has recall',
    )
    expect(result.rules.every((r) => !r.passed)).toBe(true)
  })
})

describe('budgets', () => {
  it('limit the recorded size (MB = 2^20 bytes) and latency', () => {
    const result = gate({ budgets: { model_size_mb: 3, latency_ms_p50: 0.1, latency_ms_p99: 2 } })
    expect(result.rules.map((r) => [r.name, r.observed, r.operator, r.expected, r.passed])).toEqual([
      ['model_size_mb budget', 3, '<=', 3, true],
      ['latency_ms_p50 budget', 0.2, '<=', 0.1, false],
      ['latency_ms_p99 budget', 1.5, '<=', 2, true],
    ])
    expect(result.rules[1]!.reason).toBe('0.2 ms is over the budget of 0.1 ms')
    expect(gate({ budgets: { model_size_mb: 2.9 } }).passed).toBe(false)
  })
})

describe('refuses comparisons that mean nothing', () => {
  it('different data, target or task', () => {
    const rules = { metrics: { accuracy: { threshold: 0.5 } } }
    const other = (more: object) => evaluationDoc({ accuracy: 0.8 }, more)
    expect(() =>
      gate(rules, other({ dataset: { ...candidate.dataset, fingerprint: `sha256:${'b'.repeat(64)}` } })),
    ).toThrow(
      /candidate was evaluated with data test\.csv \(sha256:a+\) but the baseline with data test\.csv \(sha256:b+\)/,
    )
    expect(() => gate(rules, other({ target: 'label' }))).toThrow(
      /target churned but the baseline with target label/,
    )
    expect(() => gate(rules, other({ task: 'regression' }))).toThrow(/task/)
  })

  it('significance with a baseline but without per-row predictions', () => {
    expect(() => gate({ metrics: { roc_auc: { significance: 0.05 } } })).toThrow(
      /significance rules \(roc_auc\) compare the models row by row.*--predictions-out/,
    )
  })
})
