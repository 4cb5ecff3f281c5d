import { Random } from './random.js'
import { roundHalfEven } from './round.js'

export const TVD_PERMUTATIONS = 1000
export const MMD_PERMUTATIONS = 100
/** empirical_mmd works on at most this many values per sample (a seeded random subsample). */
export const MMD_MAX_SAMPLE = 1000

/** Permuted statistics within this of the observed one count as equal (sums are not exact). */
const TIE = 1e-12

/**
 * Permutation p-value of a statistic of two category-count vectors (TVD): the share of random
 * re-splits of the pooled sample into sizes n_ref and n_cur whose statistic is at least the
 * observed one. Each split draws the smaller side by a partial Fisher–Yates shuffle.
 */
export function tvdPermutationPValue(
  ref: Float64Array,
  cur: Float64Array,
  statistic: (r: Float64Array, c: Float64Array) => number,
  seed: number,
  iterations = TVD_PERMUTATIONS,
): number {
  const k = ref.length
  const nRef = ref.reduce((s, x) => s + x, 0)
  const nCur = cur.reduce((s, x) => s + x, 0)
  const pooled = new Int32Array(nRef + nCur)
  let at = 0
  for (let c = 0; c < k; c++) {
    const count = ref[c]! + cur[c]!
    pooled.fill(c, at, at + count)
    at += count
  }
  const observed = statistic(ref, cur)
  const totals = ref.map((r, c) => r + cur[c]!)
  const drawRef = nRef <= nCur
  const draws = drawRef ? nRef : nCur
  const rng = new Random(seed)
  const drawn = new Float64Array(k)
  let extreme = 0
  for (let it = 0; it < iterations; it++) {
    drawn.fill(0)
    for (let i = 0; i < draws; i++) {
      const j = i + rng.below(pooled.length - i)
      const picked = pooled[j]!
      pooled[j] = pooled[i]!
      pooled[i] = picked
      drawn[picked]!++
    }
    const other = totals.map((t, c) => t - drawn[c]!)
    const s = drawRef ? statistic(drawn, other) : statistic(other, drawn)
    if (s >= observed - TIE) extreme++
  }
  return extreme / iterations
}

/**
 * Permutation p-value of the unbiased squared maximum mean discrepancy with a Gaussian kernel
 * (Evidently's empirical_mmd): bandwidth from the median squared distance within the reference,
 * 100 permutations. Samples above MMD_MAX_SAMPLE values are subsampled (seeded) first.
 */
export function mmdPermutationPValue(
  x: Float64Array,
  y: Float64Array,
  seed: number,
  iterations = MMD_PERMUTATIONS,
): number {
  const rng = new Random(seed)
  const xs = subsample(x, MMD_MAX_SAMPLE, rng)
  const ys = subsample(y, MMD_MAX_SAMPLE, rng)
  const n = xs.length
  const m = ys.length
  if (n < 2 || m < 2) throw new Error('empirical_mmd needs at least two values in each sample')
  const all = new Float64Array(n + m)
  all.set(xs)
  all.set(ys, n)
  // Median heuristic over all n² squared distances within x (zeros included), NumPy's "nearest".
  const dxx = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) dxx[i * n + j] = (xs[i]! - xs[j]!) ** 2
  dxx.sort()
  const med = dxx[roundHalfEven((dxx.length - 1) * 0.5)]!
  const sigma2 = med > 0 ? 0.5 * med : 0.5
  const size = n + m
  const kernel = new Float64Array(size * size)
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++)
      kernel[i * size + j] = i === j ? 0 : Math.exp(-((all[i]! - all[j]!) ** 2) / (2 * sigma2))
  }
  const mmd = (order: Int32Array) => {
    let kxx = 0
    let kyy = 0
    let kxy = 0
    for (let a = 0; a < size; a++) {
      const row = order[a]! * size
      for (let b = 0; b < size; b++) {
        const v = kernel[row + order[b]!]!
        if (a < n && b < n) kxx += v
        else if (a >= n && b >= n) kyy += v
        else if (a < n) kxy += v
      }
    }
    return kxx / (n * (n - 1)) + kyy / (m * (m - 1)) - (2 * kxy) / (n * m)
  }
  const order = Int32Array.from({ length: size }, (_, i) => i)
  const observed = mmd(order)
  let extreme = 0
  for (let it = 0; it < iterations; it++) {
    for (let i = size - 1; i > 0; i--) {
      const j = rng.below(i + 1)
      const t = order[i]!
      order[i] = order[j]!
      order[j] = t
    }
    if (mmd(order) >= observed - TIE) extreme++
  }
  return extreme / iterations
}

function subsample(x: Float64Array, max: number, rng: Random): Float64Array {
  if (x.length <= max) return x
  const copy = Float64Array.from(x)
  for (let i = 0; i < max; i++) {
    const j = i + rng.below(copy.length - i)
    const t = copy[i]!
    copy[i] = copy[j]!
    copy[j] = t
  }
  return copy.subarray(0, max).sort()
}
