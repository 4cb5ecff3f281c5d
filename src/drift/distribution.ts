import { doaneEdges, histogramCounts } from '../stats/histogram.js'
import type { PreparedColumn } from './prepare.js'
import type { Distribution } from './types.js'

/** At most this many categories are plotted; the rest are summed into one "(other)" entry. */
export const MAX_PLOTTED_CATEGORIES = 50

/**
 * What a report plots for a column: for numbers, Doane bins over reference ∪ current (the edges
 * Evidently plots with) and each sample's share per bin; for categories, each sample's share per
 * category, most frequent in the reference first.
 */
export function distributions(col: PreparedColumn): { reference: Distribution; current: Distribution } {
  if (col.type === 'num' && col.refSorted && col.curSorted) {
    const { ref, cur } = col.numbers()
    // Current first, as Evidently pools them (the order only shows in the last bits of the sums).
    const edges = doaneEdges([cur, ref], col.integer)
    const x = Array.from(edges)
    const share = (sorted: Float64Array) =>
      Array.from(histogramCounts(sorted, edges), (n) => n / sorted.length)
    return { reference: { x, y: share(ref) }, current: { x, y: share(cur) } }
  }
  const c = col.categories()
  const order = c.keys.map((_, i) => i).sort((a, b) => c.ref[b]! - c.ref[a]! || c.cur[b]! - c.cur[a]!)
  const shown = order.slice(0, MAX_PLOTTED_CATEGORIES)
  const rest = order.slice(MAX_PLOTTED_CATEGORIES)
  const x: (string | number)[] = shown.map((i) => c.keys[i]!)
  const side = (counts: Float64Array, n: number) => {
    const y = shown.map((i) => counts[i]! / n)
    if (rest.length) y.push(rest.reduce((s, i) => s + counts[i]!, 0) / n)
    return y
  }
  if (rest.length) x.push(`(other ${rest.length})`)
  return { reference: { x, y: side(c.ref, c.nRef) }, current: { x, y: side(c.cur, c.nCur) } }
}
