import type { ColumnSchema, ColumnType } from '../core/types.js'
import type { Column, Frame } from './frame.js'

/** Integer columns with at most this many distinct values are categorical (Evidently's rule). */
export const MAX_CATEGORICAL_INTEGERS = 5

/**
 * Column type by Evidently's rules: float → numerical; integer with ≤ 5 distinct values →
 * categorical, otherwise numerical; boolean → categorical; datetime → datetime; strings →
 * text when more than half of the non-missing values are distinct, otherwise categorical.
 * An integer column stays integer when it has missing values (pandas would make it float).
 */
export function inferColumnType(col: Column): ColumnType {
  switch (col.kind) {
    case 'datetime':
      return 'datetime'
    case 'number':
      return col.dtype === 'int' &&
        distinctNumbers(col.values, col.missing, MAX_CATEGORICAL_INTEGERS + 1) <= MAX_CATEGORICAL_INTEGERS
        ? 'categorical'
        : 'numerical'
    case 'category': {
      if (col.dtype === 'bool') return 'categorical'
      const present = col.codes.length - col.missingCount
      return usedCodes(col.codes) > present / 2 ? 'text' : 'categorical'
    }
  }
}

export function inferSchema(frame: Frame): ColumnSchema[] {
  return frame.columns.map((c) => ({
    name: c.name,
    type: inferColumnType(c),
    dtype: c.dtype,
    missing: c.missingCount,
  }))
}

/** Distinct non-missing values, counting no further than `cap`. */
function distinctNumbers(values: Float64Array, missing: Uint8Array, cap: number): number {
  const seen = new Set<number>()
  for (let i = 0; i < values.length && seen.size < cap; i++) if (!missing[i]) seen.add(values[i]!)
  return seen.size
}

function usedCodes(codes: Int32Array): number {
  const seen = new Set<number>()
  for (const c of codes) if (c >= 0) seen.add(c)
  return seen.size
}
