import { SluiceError } from '../core/errors.js'
import { type Column, type Frame, sharedFloat64, sharedInt32, sharedUint8 } from './frame.js'
import { parseDatetime } from './values.js'

/** A frame holding only the given rows (in the given order). Dictionaries are shared, not copied. */
export function takeRows(frame: Frame, rows: Uint32Array): Frame {
  const n = rows.length
  const columns = frame.columns.map((c): Column => {
    const missing = sharedUint8(n)
    let missingCount = 0
    for (let i = 0; i < n; i++) {
      missing[i] = c.missing[rows[i]!]!
      missingCount += missing[i]!
    }
    if (c.kind === 'category') {
      const codes = sharedInt32(n)
      for (let i = 0; i < n; i++) codes[i] = c.codes[rows[i]!]!
      return { ...c, codes, missing, missingCount }
    }
    const values = sharedFloat64(n)
    for (let i = 0; i < n; i++) values[i] = c.values[rows[i]!]!
    return { ...c, values, missing, missingCount }
  })
  return { rows: n, columns }
}

export interface TimeWindow {
  column: string
  /** Inclusive lower bound (ISO-8601; a time without a zone is UTC), or null for no bound. */
  from: string | null
  /** Exclusive upper bound, or null for no bound. */
  to: string | null
}

/** Rows whose datetime (or number) in `column` lies in [from, to). Missing values never match. */
export function sliceWindow(frame: Frame, window: TimeWindow): Frame {
  const col = frame.columns.find((c) => c.name === window.column)
  if (!col) {
    throw new SluiceError(
      'INVALID_INPUT',
      `column "${window.column}" is not in the data; its columns are ${frame.columns.map((c) => c.name).join(', ')}`,
    )
  }
  if (col.kind === 'category') {
    throw new SluiceError(
      'INVALID_INPUT',
      `column "${window.column}" holds ${col.dtype} values; slice on a datetime or numeric column`,
    )
  }
  const bound = (text: string | null, flag: string) => {
    if (text === null) return null
    const value = col.kind === 'datetime' ? parseDatetime(text) : Number(text)
    if (value === null || Number.isNaN(value)) {
      const expected =
        col.kind === 'datetime'
          ? 'an ISO-8601 date or datetime such as 2001-03-01 or 2001-03-01T06:00:00Z'
          : 'a number'
      throw new SluiceError('USAGE', `${flag} "${text}" is not ${expected}`)
    }
    return value
  }
  const from = bound(window.from, '--from') ?? -Infinity
  const to = bound(window.to, '--to') ?? Infinity
  if (!(from < to))
    throw new SluiceError('USAGE', `--from must be before --to (got ${window.from} and ${window.to})`)
  const picked: number[] = []
  for (let r = 0; r < frame.rows; r++) {
    const v = col.values[r]!
    if (!col.missing[r] && v >= from && v < to) picked.push(r)
  }
  return takeRows(frame, Uint32Array.from(picked))
}
