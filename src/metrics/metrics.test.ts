import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { sample } from '../../test/fixtures/scipy/samples.js'
import { classificationMetrics } from './classification.js'
import { regressionMetrics } from './regression.js'

/** scikit-learn's values (test/fixtures/sklearn/generate.py; inputs regenerated from the same seeds). */
const ref = JSON.parse(
  readFileSync(new URL('../../test/fixtures/sklearn/reference.json', import.meta.url), 'utf8'),
) as {
  cases: Record<string, never>[]
}

const uniform = (seed: number, n: number) => sample({ kind: 'uniform', seed, n, scale: 1, shift: 0 })
const close = (got: number, want: number) =>
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(
    1e-12 * Math.max(1, Math.abs(want)),
  )

describe('metrics match scikit-learn', () => {
  for (const c of ref.cases as Record<string, unknown>[]) {
    if (c.kind === 'binary') {
      const ySpec = c.y as { seed: number; n: number; threshold: number }
      it(`binary classification, ${ySpec.n} rows`, () => {
        const v = uniform(ySpec.seed, ySpec.n)
        const u = uniform((c.score as { u_seed: number }).u_seed, ySpec.n)
        const y = Int32Array.from(v, (x) => (x < ySpec.threshold ? 1 : 0))
        // The same arithmetic as the generator: clip(round(0.6u + 0.4·y·v, 2), 0, 1).
        const p = Float64Array.from(u, (x, i) =>
          Math.min(1, Math.max(0, roundHalfEven2(0.6 * x + 0.4 * y[i]! * v[i]!))),
        )
        const m = classificationMetrics(
          y,
          Int32Array.from(p, (x) => (x > 0.5 ? 1 : 0)),
          p,
          2,
        )
        for (const k of [
          'accuracy',
          'precision',
          'recall',
          'f1',
          'f1_macro',
          'f1_micro',
          'f1_weighted',
          'roc_auc',
          'average_precision',
          'log_loss',
          'brier_score',
        ] as const) {
          close(m[k]!, c[k] as number)
        }
        expect(m.confusion_matrix).toEqual(c.confusion_matrix)
      })
    } else {
      it(`regression, ${c.n} rows`, () => {
        const t = uniform(c.seed as number, c.n as number).map((x) => x * 10 + 1)
        const e = uniform((c.seed as number) + 100, c.n as number).map((x) => x - 0.5)
        const pred = t.map((x, i) => x + e[i]! * 3)
        const m = regressionMetrics(t, pred)
        for (const k of ['mae', 'rmse', 'r2', 'mape'] as const) close(m[k], c[k] as number)
      })
    }
  }

  it('treats undefined ratios as 0 and needs two classes for ranking metrics', () => {
    const m = classificationMetrics([0, 0, 0], [0, 0, 0], [0.1, 0.2, 0.3], 2)
    expect(m.precision).toBe(0)
    expect(m.recall).toBe(0)
    expect(m.roc_auc).toBeNaN()
  })
})

/** NumPy's round(x, 2): half to even on the decimal representation's scaled value. */
function roundHalfEven2(x: number): number {
  const y = x * 100
  const f = Math.floor(y)
  const d = y - f
  const r = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f
  return r / 100
}
