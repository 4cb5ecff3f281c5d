import type { Column } from '../data/frame.js'
import type { MappedColumn } from '../data/mapping.js'
import type { DriftColumnType } from './types.js'

/** Aligned category counts of both samples over the union of their categories (sorted). */
export interface CategoryCounts {
  keys: (string | number)[]
  ref: Float64Array
  cur: Float64Array
  nRef: number
  nCur: number
}

/**
 * One column, ready for any test: missing values (and ±inf) dropped, numbers sorted once and
 * shared by every test that needs order statistics, category counts built on first use.
 */
export class PreparedColumn {
  private counts: CategoryCounts | null = null

  constructor(
    readonly name: string,
    readonly type: DriftColumnType,
    /** Finite values, sorted ascending (numerical storage), or null (category storage). */
    readonly refSorted: Float64Array | null,
    readonly curSorted: Float64Array | null,
    /** Category storage: codes and dictionaries of each side. */
    private readonly refCodes: { codes: Int32Array; dictionary: string[] } | null,
    private readonly curCodes: { codes: Int32Array; dictionary: string[] } | null,
    /** Both sides hold integers (NumPy's binning treats integer data differently). */
    readonly integer: boolean,
  ) {}

  get nRef(): number {
    return this.refSorted ? this.refSorted.length : this.categories().nRef
  }

  get nCur(): number {
    return this.curSorted ? this.curSorted.length : this.categories().nCur
  }

  /** The numeric samples; only numerical-storage columns have them. */
  numbers(): { ref: Float64Array; cur: Float64Array } {
    if (!this.refSorted || !this.curSorted)
      throw new Error(`column ${this.name} holds categories, not numbers`)
    return { ref: this.refSorted, cur: this.curSorted }
  }

  categories(): CategoryCounts {
    this.counts ??=
      this.refSorted && this.curSorted
        ? countNumbers(this.refSorted, this.curSorted)
        : countCodes(this.refCodes!, this.curCodes!)
    return this.counts
  }
}

/** Distinct values of a sorted array. */
export function distinctSorted(x: Float64Array): number {
  let d = 0
  for (let i = 0; i < x.length; i++) if (i === 0 || x[i] !== x[i - 1]) d++
  return d
}

/** Distinct values of the union of two sorted arrays. */
export function distinctUnion(a: Float64Array, b: Float64Array): number {
  let i = 0
  let j = 0
  let d = 0
  let prev = Number.NaN
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!
    if (x !== prev) d++
    prev = x
  }
  return d
}

function countNumbers(ref: Float64Array, cur: Float64Array): CategoryCounts {
  const keys: number[] = []
  const r: number[] = []
  const c: number[] = []
  let i = 0
  let j = 0
  while (i < ref.length || j < cur.length) {
    const x = j >= cur.length || (i < ref.length && ref[i]! <= cur[j]!) ? ref[i]! : cur[j]!
    let nr = 0
    let nc = 0
    while (i < ref.length && ref[i] === x) {
      i++
      nr++
    }
    while (j < cur.length && cur[j] === x) {
      j++
      nc++
    }
    keys.push(x)
    r.push(nr)
    c.push(nc)
  }
  return { keys, ref: Float64Array.from(r), cur: Float64Array.from(c), nRef: ref.length, nCur: cur.length }
}

function countCodes(
  ref: { codes: Int32Array; dictionary: string[] },
  cur: { codes: Int32Array; dictionary: string[] },
): CategoryCounts {
  const tally = (side: { codes: Int32Array; dictionary: string[] }) => {
    const byCode = new Float64Array(side.dictionary.length)
    let n = 0
    for (const code of side.codes) {
      if (code >= 0) {
        byCode[code]!++
        n++
      }
    }
    const counts = new Map<string, number>()
    side.dictionary.forEach((key, code) => {
      if (byCode[code]! > 0) counts.set(key, (counts.get(key) ?? 0) + byCode[code]!)
    })
    return { counts, n }
  }
  const r = tally(ref)
  const c = tally(cur)
  const keys = [...new Set([...r.counts.keys(), ...c.counts.keys()])].sort()
  return {
    keys,
    ref: Float64Array.from(keys, (k) => r.counts.get(k) ?? 0),
    cur: Float64Array.from(keys, (k) => c.counts.get(k) ?? 0),
    nRef: r.n,
    nCur: c.n,
  }
}

/**
 * Finite values of a numeric or datetime column, sorted. Integers spanning a range no wider than
 * twice their count (ages, counts, minutes, codes…) are counting-sorted in linear time.
 */
function finiteSorted(col: Column): Float64Array {
  if (col.kind === 'category') throw new Error('not numeric')
  const out = new Float64Array(col.values.length)
  let n = 0
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < col.values.length; i++) {
    const v = col.values[i]!
    if (col.missing[i] || !Number.isFinite(v)) continue
    out[n++] = v
    if (v < min) min = v
    if (v > max) max = v
  }
  const values = out.subarray(0, n)
  const span = max - min + 1
  if (col.dtype === 'int' && n > 0 && span <= Math.max(2 * n, 1 << 16)) return countingSort(values, min, span)
  return values.sort()
}

function countingSort(values: Float64Array, min: number, span: number): Float64Array {
  const counts = new Uint32Array(span)
  for (let i = 0; i < values.length; i++) counts[values[i]! - min]!++
  let at = 0
  for (let k = 0; k < span; k++) {
    const c = counts[k]!
    if (c) values.fill(k + min, at, at + c)
    at += c
  }
  return values
}

/** Share of missing cells, ±inf counted as missing. */
export function missingShare(col: Column): number {
  if (col.kind === 'category') return col.codes.length ? col.missingCount / col.codes.length : 0
  let missing = 0
  for (let i = 0; i < col.values.length; i++)
    if (col.missing[i] || !Number.isFinite(col.values[i]!)) missing++
  return col.values.length ? missing / col.values.length : 0
}

/**
 * Prepares one mapped column of two frames. Throws an Error whose message becomes the column's
 * `error` in the report (the rest of the report still runs).
 */
export function prepareColumn(
  mapped: MappedColumn,
  type: DriftColumnType,
  ref: Column,
  cur: Column,
): PreparedColumn {
  const numericRef = ref.kind !== 'category'
  const numericCur = cur.kind !== 'category'
  if (numericRef !== numericCur) {
    const what = (c: Column) => (c.kind === 'category' ? `${c.dtype} values` : 'numbers')
    throw new Error(`holds ${what(ref)} in the reference but ${what(cur)} in the current data`)
  }
  const integer = ref.dtype === 'int' && cur.dtype === 'int'
  const col = numericRef
    ? new PreparedColumn(mapped.name, type, finiteSorted(ref), finiteSorted(cur), null, null, integer)
    : new PreparedColumn(
        mapped.name,
        type,
        null,
        null,
        ref.kind === 'category' ? { codes: ref.codes, dictionary: ref.dictionary } : null,
        cur.kind === 'category' ? { codes: cur.codes, dictionary: cur.dictionary } : null,
        false,
      )
  if (col.nRef === 0) throw new Error('has no values in the reference data (every value is missing)')
  if (col.nCur === 0) throw new Error('has no values in the current data (every value is missing)')
  return col
}
