import { type CellValue, frameFromColumns, frameFromRecords } from '../data/build.js'
import type { Frame } from '../data/frame.js'

/** What the library API accepts as a dataset: a frame, columns of values, or rows of records. */
export type DataInput = Frame | Record<string, ArrayLike<CellValue>> | Record<string, CellValue>[]

export function toFrame(input: DataInput): Frame {
  if (Array.isArray(input)) return frameFromRecords(input)
  if (isFrame(input)) return input
  return frameFromColumns(input as Record<string, ArrayLike<CellValue>>)
}

function isFrame(x: unknown): x is Frame {
  return (
    typeof x === 'object' &&
    x !== null &&
    Array.isArray((x as Frame).columns) &&
    typeof (x as Frame).rows === 'number'
  )
}
