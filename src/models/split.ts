import { Random } from '../stats/random.js'

/**
 * A seeded train/validation split of row indices; stratified by class for classification (each
 * class keeps its share in both parts). Both parts come back sorted.
 */
export function trainValidationSplit(
  y: Float64Array,
  fraction: number,
  seed: number,
  stratify: boolean,
): { train: Uint32Array; validation: Uint32Array } {
  const n = y.length
  if (fraction <= 0)
    return { train: Uint32Array.from({ length: n }, (_, i) => i), validation: new Uint32Array(0) }
  const rng = new Random(seed ^ 0x5bd1e995)
  const counts = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const key = stratify ? y[i]! : 0
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  // Each group's rows (ascending), shuffled; its first round(size · fraction) rows are validation.
  const inValidation = new Uint8Array(n)
  for (const key of [...counts.keys()].sort((a, b) => a - b)) {
    const rows = new Uint32Array(counts.get(key)!)
    let k = 0
    for (let i = 0; i < n; i++) if ((stratify ? y[i]! : 0) === key) rows[k++] = i
    for (let i = rows.length - 1; i > 0; i--) {
      const j = rng.below(i + 1)
      const t = rows[i]!
      rows[i] = rows[j]!
      rows[j] = t
    }
    const cut = Math.round(rows.length * fraction)
    for (let i = 0; i < cut; i++) inValidation[rows[i]!] = 1
  }
  const validation = new Uint32Array(inValidation.reduce((s, v) => s + v, 0))
  const train = new Uint32Array(n - validation.length)
  let v = 0
  let t = 0
  for (let i = 0; i < n; i++) {
    if (inValidation[i]) validation[v++] = i
    else train[t++] = i
  }
  return { train, validation }
}
