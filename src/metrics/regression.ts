/** Regression metrics with scikit-learn's definitions. */
export interface RegressionMetrics {
  mae: number
  rmse: number
  r2: number
  /** Mean absolute percentage error as a fraction (|y| floored at float64 epsilon), as scikit-learn. */
  mape: number
}

export function regressionMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionMetrics {
  const n = yTrue.length
  let abs = 0
  let sq = 0
  let pct = 0
  let mean = 0
  for (let i = 0; i < n; i++) mean += yTrue[i]!
  mean /= n
  let total = 0
  for (let i = 0; i < n; i++) {
    const e = yTrue[i]! - yPred[i]!
    abs += Math.abs(e)
    sq += e * e
    pct += Math.abs(e) / Math.max(Math.abs(yTrue[i]!), Number.EPSILON)
    total += (yTrue[i]! - mean) ** 2
  }
  return {
    mae: abs / n,
    rmse: Math.sqrt(sq / n),
    // A constant target: scikit-learn gives 1 for a perfect fit, 0 otherwise.
    r2: total === 0 ? (sq === 0 ? 1 : 0) : 1 - sq / total,
    mape: pct / n,
  }
}
