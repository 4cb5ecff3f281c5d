/**
 * Histogram bin edges and counts exactly as NumPy computes them (numpy ≥ 2.1), so binned tests
 * reproduce Evidently bit for bit: the same float arithmetic for the bin count and the edges.
 */

/** `np.linspace(first, last, n + 1)`: e_i = i·step + first, the last edge forced to `last`. */
function linspace(first: number, last: number, bins: number): Float64Array {
  const edges = new Float64Array(bins + 1)
  const step = (last - first) / bins
  for (let i = 0; i <= bins; i++) edges[i] = i * step + first
  edges[bins] = last
  return edges
}

/** Edges for an automatic bin width, as `np.histogram_bin_edges` does around its width estimators. */
function edgesForWidth(min: number, max: number, width: number, integer: boolean): Float64Array {
  let first = min
  let last = max
  if (first === last) {
    first -= 0.5
    last += 0.5
  }
  let bins = 1
  if (width) {
    const w = integer && width < 1 ? 1 : width
    bins = Math.ceil((last - first) / w)
  }
  return linspace(first, last, bins)
}

/**
 * `np.histogram_bin_edges(x, bins="sturges")` for `n` values between `min` and `max`:
 * width = ptp / (log2 n + 1). `integer` says the values are of an integer dtype (NumPy then never
 * makes bins narrower than 1).
 */
export function sturgesEdges(min: number, max: number, n: number, integer: boolean): Float64Array {
  return edgesForWidth(min, max, (max - min) / (Math.log2(n) + 1), integer)
}

/**
 * `np.histogram_bin_edges(x, bins="doane")` (used for the plotted distributions), over the values
 * of several arrays taken together, without concatenating them.
 */
export function doaneEdges(samples: ArrayLike<number>[], integer: boolean): Float64Array {
  let n = 0
  let min = Infinity
  let max = -Infinity
  let sum = 0
  for (const values of samples) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!
      if (v < min) min = v
      if (v > max) max = v
      sum += v
    }
    n += values.length
  }
  let width = 0
  if (n > 2) {
    const mean = sum / n
    let m2 = 0
    for (const values of samples) {
      for (let i = 0; i < values.length; i++) {
        const d = values[i]! - mean
        m2 += d * d
      }
    }
    const sigma = Math.sqrt(m2 / n)
    if (sigma > 0) {
      let m3 = 0
      for (const values of samples) {
        for (let i = 0; i < values.length; i++) {
          const z = (values[i]! - mean) / sigma
          m3 += z * z * z
        }
      }
      const g1 = m3 / n
      const sg1 = Math.sqrt((6 * (n - 2)) / ((n + 1) * (n + 3)))
      width = (max - min) / (1 + Math.log2(n) + Math.log2(1 + Math.abs(g1) / sg1))
    }
  }
  return edgesForWidth(min, max, width, integer)
}

/** Number of sorted values strictly below `x` (`right` = false) or at most `x` (`right` = true). */
export function searchSorted(sorted: Float64Array, x: number, right: boolean): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (right ? sorted[mid]! <= x : sorted[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * `np.histogram(x, edges)` counts for sorted values: bin i holds [e_i, e_i+1), the last bin also
 * its right edge; values outside the edges are not counted.
 */
export function histogramCounts(sorted: Float64Array, edges: Float64Array): Float64Array {
  const k = edges.length - 1
  const counts = new Float64Array(k)
  let below = searchSorted(sorted, edges[0]!, false)
  for (let i = 0; i < k; i++) {
    const upTo =
      i === k - 1 ? searchSorted(sorted, edges[k]!, true) : searchSorted(sorted, edges[i + 1]!, false)
    counts[i] = upTo - below
    below = upTo
  }
  return counts
}
