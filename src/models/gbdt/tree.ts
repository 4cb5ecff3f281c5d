import type { FeatureSpec } from '../dataset.js'
import { MISSING_BIN } from './bins.js'

/**
 * A regression tree over raw feature values. Node i is internal when `feature[i] >= 0`:
 * numeric splits send x ≤ threshold left, categorical splits send codes in `leftCategories` left,
 * and missing (or unknown) values go left when `missingLeft`. Leaves hold `value` (learning rate
 * already applied).
 */
export interface Tree {
  feature: Int32Array
  threshold: Float32Array
  /** Numeric splits: the last bin that goes left (training's view of `threshold`). */
  thresholdBin: Int32Array
  left: Int32Array
  right: Int32Array
  missingLeft: Uint8Array
  /** Categorical splits: the category codes that go left (sorted); empty otherwise. */
  leftCategories: number[][]
  value: Float64Array
}

/** Raw score of one tree for row r of feature columns (numbers float32-rounded, categories as codes). */
export function treeScore(
  tree: Tree,
  columns: (Float64Array | Int32Array)[],
  features: FeatureSpec[],
  r: number,
): number {
  let node = 0
  for (;;) {
    const f = tree.feature[node]!
    if (f < 0) return tree.value[node]!
    const x = columns[f]![r]!
    let goLeft: boolean
    if (features[f]!.kind === 'num')
      goLeft = Number.isNaN(x) ? tree.missingLeft[node] === 1 : x <= tree.threshold[node]!
    else goLeft = x < 0 ? tree.missingLeft[node] === 1 : binarySearch(tree.leftCategories[node]!, x)
    node = goLeft ? tree.left[node]! : tree.right[node]!
  }
}

/**
 * Adds the tree's value to raw[r] for each of `rows`, routing rows by their bins (the decisions
 * training made). Each split becomes a 256-entry table of which bins go left, so a step down the
 * tree is one lookup whatever the split's kind.
 */
export function addTreeScores(
  tree: Tree,
  bins: Uint8Array[],
  isCategorical: boolean[],
  rows: Uint32Array,
  raw: Float64Array,
): void {
  const n = tree.feature.length
  const goesLeft = new Uint8Array(n * 256)
  for (let node = 0; node < n; node++) {
    const f = tree.feature[node]!
    if (f < 0) continue
    const at = node * 256
    if (isCategorical[f]) for (const c of tree.leftCategories[node]!) goesLeft[at + c] = 1
    else goesLeft.fill(1, at, at + tree.thresholdBin[node]! + 1)
    goesLeft[at + MISSING_BIN] = tree.missingLeft[node]!
  }
  for (const r of rows) {
    let node = 0
    for (let f = tree.feature[0]!; f >= 0; f = tree.feature[node]!) {
      node = goesLeft[node * 256 + bins[f]![r]!] ? tree.left[node]! : tree.right[node]!
    }
    raw[r]! += tree.value[node]!
  }
}

function binarySearch(sorted: number[], x: number): boolean {
  let lo = 0
  let hi = sorted.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const v = sorted[mid]!
    if (v === x) return true
    if (v < x) lo = mid + 1
    else hi = mid - 1
  }
  return false
}
