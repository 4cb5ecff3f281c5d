import { describe, expect, it } from 'vitest'
import { evaluationDoc } from '../../test/support/evaluations.js'
import { frameFromColumns } from '../data/build.js'
import { rocAuc } from '../metrics/classification.js'
import { Random } from '../stats/random.js'
import { pairedBootstrap, percentileInterval } from './bootstrap.js'
import { evaluateGates } from './evaluate.js'
import { type PairedPredictions, pairPredictions } from './paired.js'

/** A predictions file as `sluice evaluate --predictions-out` writes it, for a binary classifier. */
function predictions(ids: number[], actual: string[], pYes: number[]) {
  return frameFromColumns({
    id: ids,
    actual,
    label: pYes.map((p) => (p > 0.5 ? 'yes' : 'no')),
    probability_no: pYes.map((p) => 1 - p),
    probability_yes: pYes,
  })
}

/** n rows; each model's score is the truth plus its own noise (smaller noise: a better model). */
function twoModels(n: number, noise: { candidate: number; baseline: number }, seed = 1) {
  const rng = new Random(seed)
  const u = () => rng.nextUint32() / 2 ** 32
  const ids = Array.from({ length: n }, (_, i) => 1000 + i)
  const truth = ids.map(() => (u() < 0.4 ? 1 : 0))
  const score = (s: number) => truth.map((y) => Math.min(1, Math.max(0, 0.3 + 0.4 * y + s * (u() - 0.5))))
  const actual = truth.map((y) => (y ? 'yes' : 'no'))
  return {
    candidate: { frame: predictions(ids, actual, score(noise.candidate)), name: 'candidate.csv' },
    baseline: { frame: predictions(ids, actual, score(noise.baseline)), name: 'baseline.csv' },
  }
}

const options = { seed: 0, resamples: 400 }

describe('paired bootstrap', () => {
  it('finds a real improvement significant', () => {
    const { candidate, baseline } = twoModels(1500, { candidate: 1.2, baseline: 2 })
    const paired = pairPredictions('classification', candidate, baseline)
    const { roc_auc } = pairedBootstrap(paired, ['roc_auc'], options)
    expect(roc_auc!.candidate - roc_auc!.baseline).toBeGreaterThan(0.03)
    const ci = percentileInterval(roc_auc!.differences, 0.95)
    expect(ci.low).toBeGreaterThan(0)
    expect(ci.high).toBeGreaterThan(ci.low)
  })

  it('does not find two identical models, nor two equally good ones, significantly different', () => {
    const { candidate, baseline } = twoModels(1500, { candidate: 2, baseline: 2 })
    const same = pairedBootstrap(
      pairPredictions('classification', candidate, candidate),
      ['roc_auc', 'accuracy'],
      options,
    )
    expect([...same.roc_auc!.differences].every((d) => d === 0)).toBe(true)
    expect(percentileInterval(same.roc_auc!.differences, 0.95)).toEqual({ low: 0, high: 0, undefined: 0 })
    const equal = pairedBootstrap(
      pairPredictions('classification', candidate, baseline),
      ['roc_auc'],
      options,
    )
    const ci = percentileInterval(equal.roc_auc!.differences, 0.95)
    expect(ci.low).toBeLessThan(0)
    expect(ci.high).toBeGreaterThan(0)
  })

  it('is reproducible from its seed, and another seed gives other draws', () => {
    const { candidate, baseline } = twoModels(800, { candidate: 1.5, baseline: 2 })
    const paired = pairPredictions('classification', candidate, baseline)
    const draws = (seed: number) =>
      pairedBootstrap(paired, ['log_loss'], { seed, resamples: 200 }).log_loss!.differences
    expect(draws(7)).toEqual(draws(7))
    expect(draws(8)).not.toEqual(draws(7))
  })

  it('scores the paired rows themselves as the plain metric does', () => {
    const { candidate, baseline } = twoModels(600, { candidate: 1, baseline: 2 })
    const paired = pairPredictions('classification', candidate, baseline)
    const { roc_auc } = pairedBootstrap(paired, ['roc_auc'], { seed: 0, resamples: 1 })
    const y = Uint8Array.from(paired.actual)
    expect(roc_auc!.candidate).toBeCloseTo(rocAuc(y, paired.candidate.positiveProba!), 12)
    expect(roc_auc!.baseline).toBeCloseTo(rocAuc(y, paired.baseline.positiveProba!), 12)
  })

  it('resamples regression metrics too', () => {
    const rng = new Random(2)
    const n = 1000
    const ids = Array.from({ length: n }, (_, i) => i)
    const y = ids.map(() => rng.below(1000) / 10)
    const frame = (noise: number) =>
      frameFromColumns({
        row: ids,
        actual: y,
        prediction: y.map((v) => v + noise * (rng.below(1000) / 1000 - 0.5)),
      })
    const paired = pairPredictions(
      'regression',
      { frame: frame(2), name: 'a' },
      { frame: frame(6), name: 'b' },
    )
    const { mae } = pairedBootstrap(paired, ['mae'], options)
    // Lower is better: the improvement is baseline − candidate.
    const ci = percentileInterval(
      mae!.differences.map((d) => -d),
      0.95,
    )
    expect(ci.low).toBeGreaterThan(0)
  })
})

describe('significance rules', () => {
  const { candidate, baseline } = twoModels(1500, { candidate: 1.2, baseline: 2 })
  const paired: PairedPredictions = pairPredictions('classification', candidate, baseline)
  const docs = (aucs: [number, number]) => [
    evaluationDoc({ roc_auc: aucs[0], log_loss: 0.5 }),
    evaluationDoc({ roc_auc: aucs[1], log_loss: 0.5 }, { model: { ...evaluationDoc({}).model, version: 1 } }),
  ]

  it('pass when the interval of the improvement excludes 0, and record the bootstrap', () => {
    const [c, b] = docs([0.9, 0.85])
    const result = evaluateGates({ metrics: { roc_auc: { significance: 0.05 } } }, c!, b!, paired, {
      seed: 3,
      resamples: 300,
    })
    expect(result.bootstrap).toEqual({ method: 'paired-percentile', seed: 3, resamples: 300, rows: 1500 })
    const row = result.rules[0]!
    expect(row).toMatchObject({ name: 'roc_auc significance', passed: true, operator: '>', expected: 0 })
    expect(row.ci).toMatchObject({ confidence: 0.95, undefined_resamples: 0 })
    expect(row.observed).toBe(row.ci!.low)
    expect(row.reason).toMatch(/^improvement 0\.\d+, 95% CI \[0\.\d+, 0\.\d+\] excludes 0$/)
  })

  it('fail a significantly worse candidate, in the direction of the metric', () => {
    const swapped = { ...paired, candidate: paired.baseline, baseline: paired.candidate }
    const [c, b] = docs([0.85, 0.9])
    const result = evaluateGates(
      { metrics: { roc_auc: { significance: 0.01 }, log_loss: { significance: 0.01 } } },
      c!,
      b!,
      swapped,
      options,
    )
    expect(result.rules[0]).toMatchObject({ passed: false, ci: { confidence: 0.99 } })
    expect(result.rules[0]!.reason).toMatch(/is below 0: significantly worse$/)
    // Lower log loss is better: the worse model's improvement is negative too.
    expect(result.rules[1]!.ci!.improvement).toBeLessThan(0)
    expect(result.passed).toBe(false)
  })

  it('refuse a metric the bootstrap cannot resample', () => {
    const [c, b] = docs([0.9, 0.85])
    c!.metrics.mae = 1
    b!.metrics.mae = 2
    expect(() =>
      evaluateGates({ metrics: { mae: { significance: 0.05 } } }, c!, b!, paired, options),
    ).toThrow(/significance cannot be computed for mae; it can for accuracy, precision/)
  })
})

describe('pairing predictions', () => {
  const ids = [1, 2, 3, 4]
  const actual = ['yes', 'no', 'yes', 'no']
  const p = [0.9, 0.2, 0.6, 0.4]
  const file = (frame: ReturnType<typeof predictions>, name = 'b.csv') => ({ frame, name })

  it('matches rows by id, whatever their order', () => {
    const paired = pairPredictions(
      'classification',
      file(predictions(ids, actual, p), 'a.csv'),
      file(predictions([3, 1, 4, 2], ['yes', 'yes', 'no', 'no'], [0.5, 0.8, 0.3, 0.1])),
    )
    expect(paired.classes).toEqual(['no', 'yes'])
    expect([...paired.actual]).toEqual([1, 0, 1, 0])
    expect([...paired.candidate.positiveProba!]).toEqual(p)
    expect([...paired.baseline.positiveProba!]).toEqual([0.8, 0.1, 0.5, 0.3])
    expect([...paired.baseline.predicted]).toEqual([1, 0, 0, 0])
  })

  it('refuses files that do not cover the same rows, or disagree on the true values', () => {
    const a = file(predictions(ids, actual, p), 'a.csv')
    const cases: [ReturnType<typeof predictions>, RegExp][] = [
      [predictions([1, 2, 3], actual.slice(0, 3), p.slice(0, 3)), /a\.csv has 4 rows but b\.csv has 3/],
      [predictions([1, 2, 3, 5], actual, p), /row id 4 of a\.csv is not in b\.csv/],
      [predictions([1, 2, 3, 3], actual, p), /row id 3 appears twice in b\.csv/],
      [
        predictions(ids, ['yes', 'no', 'no', 'no'], p),
        /row 3 has actual value yes in a\.csv but no in b\.csv/,
      ],
      [
        frameFromColumns({ id: ids, label: actual, probability_no: p, probability_yes: p }),
        /b\.csv has no "actual" column/,
      ],
      [
        frameFromColumns({ row: ids, actual, label: actual, probability_no: p, probability_yes: p }),
        /a\.csv identifies rows by "id" but b\.csv by "row"/,
      ],
    ]
    for (const [frame, message] of cases)
      expect(() => pairPredictions('classification', a, file(frame))).toThrow(message)
  })
})

describe('percentile interval', () => {
  it('interpolates linearly between order statistics and leaves out undefined draws', () => {
    const draws = Float64Array.from({ length: 101 }, (_, i) => 100 - i)
    const ci = percentileInterval(draws, 0.95)
    expect(ci.low).toBeCloseTo(2.5, 12)
    expect(ci.high).toBeCloseTo(97.5, 12)
    expect(percentileInterval([Number.NaN, 1, 2, 3, Number.NaN], 0.5)).toEqual({
      low: 1.5,
      high: 2.5,
      undefined: 2,
    })
    expect(percentileInterval([Number.NaN], 0.9).low).toBeNaN()
  })
})
