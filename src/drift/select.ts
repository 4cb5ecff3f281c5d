import { distinctUnion, type PreparedColumn } from './prepare.js'

/** The reference is "small" up to this many values: small references get the classic tests. */
const SMALL_REFERENCE = 1000

/**
 * Evidently's default test for a column: for a reference of at most 1000 values, `z` (at most two
 * distinct values over both samples), `chisquare` (three to five, or more for categories) or `ks`
 * (numerical, more than five); for larger references, `jensenshannon` (categories, or numbers
 * with at most five distinct values) or `wasserstein`.
 */
export function defaultStatTest(col: PreparedColumn): string {
  const values =
    col.refSorted && col.curSorted
      ? distinctUnion(col.refSorted, col.curSorted)
      : col.categories().keys.length
  if (col.nRef <= SMALL_REFERENCE) {
    if (col.type === 'num') return values <= 2 ? 'z' : values <= 5 ? 'chisquare' : 'ks'
    return values > 2 ? 'chisquare' : 'z'
  }
  if (col.type === 'num') return values <= 5 ? 'jensenshannon' : 'wasserstein'
  return 'jensenshannon'
}
