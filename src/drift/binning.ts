import { histogramCounts, sturgesEdges } from '../stats/histogram.js'
import { distinctSorted, type PreparedColumn } from './prepare.js'
import type { DriftOptions } from './types.js'

/** Numerical columns with more reference values than this are binned; others get a bin per value. */
const MAX_VALUES_UNBINNED = 20

/**
 * Shares of each sample per bin, as psi, kl_div and jensenshannon need them (Evidently's
 * `get_binned_data`): numerical columns with more than 20 distinct reference values are cut into
 * Sturges bins over reference ∪ current (or, on request, into quantile bins of the reference);
 * other columns get one bin per value. With `fillZeros`, each array's empty bins get Evidently's
 * epsilon: (smallest non-zero share) / 10⁶ when that share is at most 10⁻⁴, else 10⁻⁴.
 */
export function binnedShares(
  col: PreparedColumn,
  fillZeros: boolean,
  binning: DriftOptions['binning'],
): { ref: Float64Array; cur: Float64Array } {
  let ref: Float64Array
  let cur: Float64Array
  if (col.type === 'num' && col.refSorted && distinctSorted(col.refSorted) > MAX_VALUES_UNBINNED) {
    const { ref: r, cur: c } = col.numbers()
    const edges =
      binning?.method === 'quantile'
        ? quantileEdges(r, binning.bins)
        : sturgesEdges(
            Math.min(r[0]!, c[0]!),
            Math.max(r[r.length - 1]!, c[c.length - 1]!),
            r.length + c.length,
            col.integer,
          )
    ref = histogramCounts(r, edges).map((x) => x / r.length)
    cur = histogramCounts(c, edges).map((x) => x / c.length)
  } else {
    const counts = col.categories()
    ref = counts.ref.map((x) => x / counts.nRef)
    cur = counts.cur.map((x) => x / counts.nCur)
  }
  return fillZeros ? { ref: fillEmpty(ref), cur: fillEmpty(cur) } : { ref, cur }
}

function fillEmpty(shares: Float64Array): Float64Array {
  let min = Infinity
  for (const s of shares) if (s > 0 && s < min) min = s
  const eps = min <= 1e-4 ? min / 1e6 : 1e-4
  return shares.map((s) => (s === 0 ? eps : s))
}

/**
 * `bins` bins on the reference's quantiles (linear interpolation), the outer edges widened to
 * ±∞ so current values beyond the reference's range still count; repeated edges are merged.
 */
function quantileEdges(sortedRef: Float64Array, bins: number): Float64Array {
  const n = sortedRef.length
  const edges: number[] = [Number.NEGATIVE_INFINITY]
  for (let i = 1; i < bins; i++) {
    const pos = ((n - 1) * i) / bins
    const lo = Math.floor(pos)
    const q = sortedRef[lo]! + (pos - lo) * (sortedRef[Math.min(lo + 1, n - 1)]! - sortedRef[lo]!)
    if (q > edges[edges.length - 1]!) edges.push(q)
  }
  edges.push(Number.POSITIVE_INFINITY)
  return Float64Array.from(edges)
}

/**
 * Hellinger distance's own histogram (Evidently): Sturges bins over the *distinct* values of
 * reference ∪ current, density-normalised; returns the Bhattacharyya coefficient Σ √(h_r·h_c)·w.
 */
export function hellingerCoefficient(col: PreparedColumn): number {
  if (col.type !== 'num' || !col.refSorted) {
    const c = col.categories()
    let bc = 0
    for (let i = 0; i < c.keys.length; i++) bc += Math.sqrt((c.ref[i]! / c.nRef) * (c.cur[i]! / c.nCur))
    return bc
  }
  const { ref, cur } = col.numbers()
  const keys = col.categories().keys as number[]
  const edges = sturgesEdges(keys[0]!, keys[keys.length - 1]!, keys.length, col.integer)
  const density = (sorted: Float64Array) => {
    const counts = histogramCounts(sorted, edges)
    let total = 0
    for (const x of counts) total += x
    return counts.map((x, i) => x / (total * (edges[i + 1]! - edges[i]!)))
  }
  const hr = density(ref)
  const hc = density(cur)
  const w = (edges[edges.length - 1]! - edges[0]!) / (edges.length - 1)
  let bc = 0
  for (let i = 0; i < hr.length; i++) bc += Math.sqrt(hr[i]! * hc[i]!) * w
  return bc
}
