/**
 * Rank statistics of two samples pooled, with tied values given their average rank ("midrank"),
 * computed by merging the two sorted samples (no pooled array, no sort).
 */
export interface PooledRanks {
  /** Sum of the first sample's ranks. */
  rankSumX: number
  /** Σ (t³ − t) over groups of tied values (the tie correction term). */
  tieTerm: number
  /** Whether any value occurs more than once. */
  hasTies: boolean
}

export function pooledRanks(x: Float64Array, y: Float64Array): PooledRanks {
  let i = 0
  let j = 0
  let rank = 0
  let rankSumX = 0
  let tieTerm = 0
  while (i < x.length || j < y.length) {
    const v = j >= y.length || (i < x.length && x[i]! <= y[j]!) ? x[i]! : y[j]!
    let cx = 0
    let cy = 0
    while (i < x.length && x[i] === v) {
      i++
      cx++
    }
    while (j < y.length && y[j] === v) {
      j++
      cy++
    }
    const t = cx + cy
    const mid = rank + (t + 1) / 2
    rankSumX += cx * mid
    tieTerm += t * t * t - t
    rank += t
  }
  return { rankSumX, tieTerm, hasTies: tieTerm > 0 }
}

/** Midranks of each sorted sample's values within the pooled sample. */
export function midranks(x: Float64Array, y: Float64Array): { rx: Float64Array; ry: Float64Array } {
  const rx = new Float64Array(x.length)
  const ry = new Float64Array(y.length)
  let i = 0
  let j = 0
  let rank = 0
  while (i < x.length || j < y.length) {
    const v = j >= y.length || (i < x.length && x[i]! <= y[j]!) ? x[i]! : y[j]!
    const i0 = i
    const j0 = j
    while (i < x.length && x[i] === v) i++
    while (j < y.length && y[j] === v) j++
    const t = i - i0 + (j - j0)
    const mid = rank + (t + 1) / 2
    rx.fill(mid, i0, i)
    ry.fill(mid, j0, j)
    rank += t
  }
  return { rx, ry }
}
