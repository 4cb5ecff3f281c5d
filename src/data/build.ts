import { SluiceError } from '../core/errors.js'
import { ColumnBuilder } from './builder.js'
import type { Frame } from './frame.js'

export type CellValue = number | string | boolean | Date | null | undefined

/**
 * Builds a frame from plain columns (`{ age: [31, 45, null], city: ['Paris', …] }`), typing
 * each column as a file reader would: numbers, booleans, Dates (datetimes) or strings; null,
 * undefined and NaN are missing. For library users who already hold their data in memory.
 */
export function frameFromColumns(columns: Record<string, ArrayLike<CellValue>>): Frame {
  const entries = Object.entries(columns)
  const rows = entries[0]?.[1].length ?? 0
  const built = entries.map(([name, values]) => {
    if (values.length !== rows) {
      throw new SluiceError(
        'INVALID_INPUT',
        `column "${name}" has ${values.length} values but "${entries[0]![0]}" has ${rows}; columns must be equally long`,
      )
    }
    const b = new ColumnBuilder(name)
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) b.addMissing()
      else if (typeof v === 'number') b.addNumber(v, Number.isInteger(v))
      else if (typeof v === 'boolean') b.addBoolean(v)
      else if (v instanceof Date) b.addDatetime(v.getTime())
      else b.addString(String(v))
    }
    return b.build()
  })
  return { rows, columns: built }
}

/** Builds a frame from records (`[{ age: 31, city: 'Paris' }, …]`); keys are the union, in first-seen order. */
export function frameFromRecords(records: Record<string, CellValue>[]): Frame {
  const names = new Set<string>()
  for (const r of records) for (const k of Object.keys(r)) names.add(k)
  return frameFromColumns(Object.fromEntries([...names].map((n) => [n, records.map((r) => r[n])])))
}
