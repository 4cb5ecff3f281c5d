import type { Random } from '../../stats/random.js'

/** Bin of missing values (and, for categories, of unknown ones). */
export const MISSING_BIN = 255
/** Rows sampled to choose numeric bin thresholds (as scikit-learn does). */
const THRESHOLD_SAMPLE = 200_000

/**
 * A feature cut into at most 255 bins. Numeric: bin b holds the values in (thresholds[b−1],
 * thresholds[b]] (float32 thresholds, so the exported graph compares exactly as training did).
 * Categorical: bin = category code.
 */
export interface BinnedFeature {
  kind: 'num' | 'cat'
  bins: Uint8Array
  /** Numeric only: upper bounds of bins 0 … nBins − 2. */
  thresholds: Float32Array
  /** Non-missing bins in use. */
  nBins: number
  hasMissing: boolean
}

/** Numeric bin thresholds: midpoints between distinct values, or between quantiles when there are too many. */
export function numericThresholds(values: Float64Array, maxBins: number, rng: Random): Float32Array {
  const finite = new Float64Array(values.length)
  let n = 0
  for (const v of values) if (!Number.isNaN(v)) finite[n++] = v
  // A seeded partial shuffle picks the sample in place.
  const take = Math.min(n, THRESHOLD_SAMPLE)
  if (n > THRESHOLD_SAMPLE) {
    for (let i = 0; i < take; i++) {
      const j = i + rng.below(n - i)
      const t = finite[i]!
      finite[i] = finite[j]!
      finite[j] = t
    }
  }
  const sample = finite.subarray(0, take)
  sample.sort()
  const distinct: number[] = []
  for (let i = 0; i < sample.length; i++)
    if (i === 0 || sample[i] !== sample[i - 1]) distinct.push(sample[i]!)
  let cuts: number[]
  if (distinct.length <= maxBins) {
    cuts = distinct.slice(1).map((b, i) => midpoint(distinct[i]!, b))
  } else {
    cuts = []
    for (let k = 1; k < maxBins; k++) {
      // NumPy's "midpoint" percentile at k / maxBins.
      const pos = ((sample.length - 1) * k) / maxBins
      const lo = sample[Math.floor(pos)]!
      const hi = sample[Math.ceil(pos)]!
      cuts.push(lo === hi ? lo : midpoint(lo, hi))
    }
  }
  const unique: number[] = []
  for (const c of cuts) if (unique.length === 0 || c > unique[unique.length - 1]!) unique.push(c)
  return Float32Array.from(unique)
}

/** A float32 threshold t with a ≤ t < b. */
function midpoint(a: number, b: number): number {
  const t = Math.fround((a + b) / 2)
  return t >= b ? a : t
}

export function binNumeric(values: Float64Array, thresholds: Float32Array): BinnedFeature {
  const bins = new Uint8Array(values.length)
  let hasMissing = false
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (Number.isNaN(v)) {
      bins[i] = MISSING_BIN
      hasMissing = true
      continue
    }
    let lo = 0
    let hi = thresholds.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (v <= thresholds[mid]!) hi = mid
      else lo = mid + 1
    }
    bins[i] = lo
  }
  return { kind: 'num', bins, thresholds, nBins: thresholds.length + 1, hasMissing }
}

export function binCategorical(codes: Int32Array, categories: number): BinnedFeature {
  const bins = new Uint8Array(codes.length)
  let hasMissing = false
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!
    if (c < 0) {
      bins[i] = MISSING_BIN
      hasMissing = true
    } else bins[i] = c
  }
  return { kind: 'cat', bins, thresholds: new Float32Array(0), nBins: categories, hasMissing }
}
