/** Histogram entries per bin: sum of gradients, sum of hessians, count. */
export const STRIDE = 3
/** Floats per feature in a histogram (256 bins). */
export const HIST = 256 * STRIDE

/**
 * Adds rows indices[start, end) to `hist` (which must start at zero): gathers their gradients
 * in node order, then reads each row's bins once (row-major) to update every feature.
 */
export function accumulate(
  hist: Float64Array,
  F: number,
  rowBins: Uint8Array,
  indices: Uint32Array,
  g: Float32Array,
  h: Float32Array,
  start: number,
  end: number,
): void {
  for (let i = start; i < end; i++) {
    const r = indices[i]!
    const gi = g[r]!
    const hi = h[r]!
    const rowAt = r * F
    for (let f = 0; f < F; f++) {
      const at = f * HIST + rowBins[rowAt + f]! * STRIDE
      hist[at]! += gi
      hist[at + 1]! += hi
      hist[at + 2]!++
    }
  }
}

/** Log-loss gradients and hessians for rows[start, end): g = p − y, h = p(1 − p), p = σ(raw). */
export function logLossGradients(
  rows: Uint32Array,
  raw: Float64Array,
  y: Float64Array,
  g: Float32Array,
  h: Float32Array,
  start: number,
  end: number,
): void {
  for (let i = start; i < end; i++) {
    const r = rows[i]!
    const p = 1 / (1 + Math.exp(-raw[r]!))
    g[r] = p - y[r]!
    h[r] = p * (1 - p)
  }
}

/**
 * Stable partition of indices[start, end) by the split feature's bin: rows whose bin `inLeft`
 * marks stay at the front of the range, in order; the others go, in order, to scratch[start, …).
 * In the same pass, rows going to the side `histSide` (1 = left, 0 = right) are added to `hist`,
 * as `accumulate` would. Returns how many went left.
 */
export function partitionRows(
  indices: Uint32Array,
  scratch: Uint32Array,
  rowBins: Uint8Array,
  F: number,
  feature: number,
  inLeft: Uint8Array,
  start: number,
  end: number,
  hist: Float64Array,
  histSide: number,
  g: Float32Array,
  h: Float32Array,
): number {
  let l = start
  let r = start
  for (let i = start; i < end; i++) {
    const row = indices[i]!
    const rowAt = row * F
    const side = inLeft[rowBins[rowAt + feature]!]!
    if (side) indices[l++] = row
    else scratch[r++] = row
    if (side !== histSide) continue
    const gi = g[row]!
    const hi = h[row]!
    for (let f = 0; f < F; f++) {
      const at = f * HIST + rowBins[rowAt + f]! * STRIDE
      hist[at]! += gi
      hist[at + 1]! += hi
      hist[at + 2]!++
    }
  }
  return l - start
}
