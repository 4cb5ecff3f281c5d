import { describe, expect, it } from 'vitest'
import { Random } from '../stats/random.js'
import { classificationMetrics } from './classification.js'
import { regressionMetrics } from './regression.js'
import {
  WEIGHTED_LABEL_METRICS,
  WEIGHTED_PROBABILITY_METRICS,
  WEIGHTED_REGRESSION_METRICS,
  weightedClassificationScorer,
  weightedRegressionScorer,
} from './weighted.js'

const CLASSIFICATION = [...WEIGHTED_LABEL_METRICS, ...WEIGHTED_PROBABILITY_METRICS]

/** Binary rows with many tied scores (two decimals), so the tie handling is exercised. */
function binaryRows(n: number, seed: number) {
  const rng = new Random(seed)
  const u = () => rng.nextUint32() / 2 ** 32
  const yTrue = Int32Array.from({ length: n }, () => (u() < 0.3 ? 1 : 0))
  const p = Float64Array.from(yTrue, (y) => Math.round(Math.min(1, 0.6 * u() + 0.4 * y * u()) * 100) / 100)
  const yPred = Int32Array.from(p, (x) => (x > 0.35 ? 1 : 0))
  return { yTrue, yPred, p }
}

const close = (got: number, want: number) =>
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(
    1e-12 * Math.max(1, Math.abs(want)),
  )

describe('weighted metrics', () => {
  it('equal the plain classification metrics with all weights 1', () => {
    const { yTrue, yPred, p } = binaryRows(2000, 1)
    const plain = classificationMetrics(yTrue, yPred, p, 2) as unknown as Record<string, number>
    const weighted = weightedClassificationScorer(
      { yTrue, yPred, positiveProba: p, classes: 2 },
      CLASSIFICATION,
    )(new Float64Array(yTrue.length).fill(1))
    for (const m of CLASSIFICATION) close(weighted[m]!, plain[m]!)
  })

  it('with integer weights, equal the plain metrics on the rows repeated that many times', () => {
    const { yTrue, yPred, p } = binaryRows(500, 2)
    const rng = new Random(3)
    const w = Uint32Array.from(yTrue, () => rng.below(4))
    const repeat = <T extends Int32Array | Float64Array>(a: T) =>
      Array.from(a).flatMap((v, i) => new Array<number>(w[i]!).fill(v))
    const plain = classificationMetrics(repeat(yTrue), repeat(yPred), repeat(p), 2) as unknown as Record<
      string,
      number
    >
    const weighted = weightedClassificationScorer(
      { yTrue, yPred, positiveProba: p, classes: 2 },
      CLASSIFICATION,
    )(w)
    for (const m of CLASSIFICATION) close(weighted[m]!, plain[m]!)
  })

  it('handle several classes (label metrics only) and refuse probability metrics without probabilities', () => {
    const rng = new Random(4)
    const yTrue = Int32Array.from({ length: 900 }, () => rng.below(3))
    const yPred = Int32Array.from(yTrue, (y) => (rng.below(4) === 0 ? rng.below(3) : y))
    const plain = classificationMetrics(yTrue, yPred, null, 3) as unknown as Record<string, number>
    const rows = { yTrue, yPred, positiveProba: null, classes: 3 }
    const weighted = weightedClassificationScorer(rows, WEIGHTED_LABEL_METRICS)(new Float64Array(900).fill(1))
    for (const m of WEIGHTED_LABEL_METRICS) close(weighted[m]!, plain[m]!)
    expect(() => weightedClassificationScorer(rows, ['roc_auc'])).toThrow(/roc_auc need the probabilities/)
    expect(() => weightedClassificationScorer(rows, ['mae'])).toThrow(/no resampled version of mae/)
  })

  it('equal the plain regression metrics with all weights 1 and with repeated rows', () => {
    const rng = new Random(5)
    const yTrue = Float64Array.from({ length: 1000 }, () => rng.below(1000) / 10 - 20)
    const yPred = Float64Array.from(yTrue, (y) => y + (rng.below(100) - 50) / 10)
    const score = weightedRegressionScorer({ yTrue, yPred }, WEIGHTED_REGRESSION_METRICS)
    const plain = regressionMetrics(yTrue, yPred) as unknown as Record<string, number>
    const ones = score(new Float64Array(1000).fill(1))
    for (const m of WEIGHTED_REGRESSION_METRICS) close(ones[m]!, plain[m]!)

    const w = Uint32Array.from(yTrue, () => rng.below(3))
    const repeat = (a: Float64Array) => Array.from(a).flatMap((v, i) => new Array<number>(w[i]!).fill(v))
    const repeated = regressionMetrics(repeat(yTrue), repeat(yPred)) as unknown as Record<string, number>
    const weighted = score(w)
    for (const m of WEIGHTED_REGRESSION_METRICS) expect(weighted[m]).toBeCloseTo(repeated[m]!, 9)
  })

  it('give NaN for ROC AUC when the weights leave one class only', () => {
    const yTrue = Int32Array.of(0, 1, 0, 1)
    const s = weightedClassificationScorer(
      { yTrue, yPred: yTrue, positiveProba: Float64Array.of(0.1, 0.9, 0.2, 0.8), classes: 2 },
      ['roc_auc', 'average_precision'],
    )
    expect(s(Float64Array.of(1, 0, 1, 0)).roc_auc).toBeNaN()
    expect(s(Float64Array.of(1, 0, 1, 0)).average_precision).toBeNaN()
    expect(s(Float64Array.of(1, 1, 1, 1)).roc_auc).toBe(1)
  })
})
