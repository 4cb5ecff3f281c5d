import type { TrainingData } from '../dataset.js'

/**
 * A design matrix for linear models: standardised numbers (missing → 0, i.e. the mean) as a dense
 * block, one-hot categories as one active column per categorical feature (or none when missing).
 * Columns follow the features in order.
 */
export interface Design {
  rows: number
  /** Total columns. */
  width: number
  /** Per feature: its first column. */
  offsets: number[]
  /** Per row, per numeric feature: the standardised value. */
  dense: Float64Array
  numeric: number
  /** Per row, per categorical feature: the active column, or −1. */
  active: Int32Array
  categorical: number
  means: number[]
  stds: number[]
}

export function buildDesign(
  data: TrainingData,
  rows: Uint32Array,
  stats?: { means: number[]; stds: number[] },
): Design {
  const numIdx = data.features.map((f, i) => (f.kind === 'num' ? i : -1)).filter((i) => i >= 0)
  const catIdx = data.features.map((f, i) => (f.kind === 'cat' ? i : -1)).filter((i) => i >= 0)
  const offsets: number[] = []
  let width = 0
  for (const f of data.features) {
    offsets.push(width)
    width += f.kind === 'num' ? 1 : f.categories.length
  }
  const means: number[] = []
  const stds: number[] = []
  for (const i of numIdx) {
    if (stats) continue
    const col = data.columns[i] as Float64Array
    let sum = 0
    let n = 0
    for (const r of rows) {
      if (Number.isNaN(col[r]!)) continue
      sum += col[r]!
      n++
    }
    const mean = n ? sum / n : 0
    let ss = 0
    for (const r of rows) if (!Number.isNaN(col[r]!)) ss += (col[r]! - mean) ** 2
    const std = n ? Math.sqrt(ss / n) : 0
    means.push(mean)
    stds.push(std > 0 ? std : 1)
  }
  const m = stats?.means ?? means
  const s = stats?.stds ?? stds
  const dense = new Float64Array(rows.length * numIdx.length)
  const active = new Int32Array(rows.length * catIdx.length)
  rows.forEach((r, k) => {
    numIdx.forEach((i, j) => {
      const v = (data.columns[i] as Float64Array)[r]!
      dense[k * numIdx.length + j] = Number.isNaN(v) ? 0 : (v - m[j]!) / s[j]!
    })
    catIdx.forEach((i, j) => {
      const code = (data.columns[i] as Int32Array)[r]!
      active[k * catIdx.length + j] = code < 0 ? -1 : offsets[i]! + code
    })
  })
  return {
    rows: rows.length,
    width,
    offsets,
    dense,
    numeric: numIdx.length,
    active,
    categorical: catIdx.length,
    means: m,
    stds: s,
  }
}

/** Column index of each numeric feature's weight, in feature order. */
export function numericColumns(data: TrainingData, design: Design): number[] {
  return data.features.flatMap((f, i) => (f.kind === 'num' ? [design.offsets[i]!] : []))
}

/** X·w + b for every row. */
export function linearPredict(
  d: Design,
  numCols: number[],
  w: Float64Array,
  b: number,
  out: Float64Array,
): void {
  for (let k = 0; k < d.rows; k++) {
    let s = b
    for (let j = 0; j < d.numeric; j++) s += w[numCols[j]!]! * d.dense[k * d.numeric + j]!
    for (let j = 0; j < d.categorical; j++) {
      const c = d.active[k * d.categorical + j]!
      if (c >= 0) s += w[c]!
    }
    out[k] = s
  }
}

/** Adds Xᵀ·v to `grad` (length width). */
export function addTransposeTimes(d: Design, numCols: number[], v: Float64Array, grad: Float64Array): void {
  for (let k = 0; k < d.rows; k++) {
    const vk = v[k]!
    if (vk === 0) continue
    for (let j = 0; j < d.numeric; j++) grad[numCols[j]!]! += vk * d.dense[k * d.numeric + j]!
    for (let j = 0; j < d.categorical; j++) {
      const c = d.active[k * d.categorical + j]!
      if (c >= 0) grad[c]! += vk
    }
  }
}
