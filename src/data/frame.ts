/**
 * A columnar table. Column arrays live in SharedArrayBuffers, so worker threads (file loading,
 * per-column drift tests) read and hand back whole columns without copying them. Numbers live in Float64Array (NaN where missing), categories are
 * dictionary-encoded (code -1 where missing), datetimes are epoch milliseconds (UTC). `missing`
 * marks missing cells explicitly (1 = missing), so a NaN read from a file and an empty cell differ.
 */
export interface Frame {
  rows: number
  columns: Column[]
}

export type Column = NumericColumn | CategoryColumn | DatetimeColumn

interface ColumnBase {
  name: string
  missing: Uint8Array
  missingCount: number
}

export interface NumericColumn extends ColumnBase {
  kind: 'number'
  dtype: 'int' | 'float'
  values: Float64Array
}

export interface CategoryColumn extends ColumnBase {
  kind: 'category'
  dtype: 'string' | 'bool'
  codes: Int32Array
  dictionary: string[]
}

export interface DatetimeColumn extends ColumnBase {
  kind: 'datetime'
  dtype: 'datetime'
  values: Float64Array
}

/** A cell as a plain value (null when missing); for display and row-wise output, not hot loops. */
export function cell(col: Column, row: number): number | string | boolean | null {
  if (col.missing[row]) return null
  switch (col.kind) {
    case 'number':
      return col.values[row]!
    case 'datetime':
      return new Date(col.values[row]!).toISOString()
    case 'category': {
      const v = col.dictionary[col.codes[row]!]!
      return col.dtype === 'bool' ? v === 'true' : v
    }
  }
}

export const sharedFloat64 = (n: number) => new Float64Array(new SharedArrayBuffer(n * 8))
export const sharedInt32 = (n: number) => new Int32Array(new SharedArrayBuffer(n * 4))
export const sharedUint8 = (n: number) => new Uint8Array(new SharedArrayBuffer(n))
