import { createReadStream } from 'node:fs'
import { SluiceError } from '../core/errors.js'
import { nestsDeeperThan, tooDeep } from '../core/nesting.js'
import { ColumnBuilder } from './builder.js'
import type { Frame } from './frame.js'

/**
 * Streams a JSON Lines file (one object per line) into a frame. Columns are the union of keys in
 * first-seen order; a key absent from a row is missing there. Nested objects and arrays are kept
 * as their JSON text. Errors name the file and line.
 */
export async function readJsonl(file: string): Promise<Frame> {
  const builders = new Map<string, ColumnBuilder>()
  let rows = 0
  let line = 0
  let carry = ''

  const addLine = (text: string) => {
    line++
    if (text.trim() === '') return
    let obj: unknown
    try {
      obj = JSON.parse(text)
    } catch (e) {
      throw new SluiceError('UNREADABLE_FILE', `${file}:${line}: not valid JSON: ${(e as Error).message}`)
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new SluiceError(
        'UNREADABLE_FILE',
        `${file}:${line}: expected a JSON object per line, found ${Array.isArray(obj) ? 'an array' : typeof obj}`,
      )
    }
    for (const [key, value] of Object.entries(obj)) {
      let b = builders.get(key)
      if (!b) {
        b = new ColumnBuilder(key)
        for (let i = 0; i < rows; i++) b.addMissing()
        builders.set(key, b)
      }
      if (value === null) b.addMissing()
      else if (typeof value === 'number') b.addNumber(value, Number.isInteger(value))
      else if (typeof value === 'boolean') b.addBoolean(value)
      else if (typeof value === 'string') b.addStringOrDatetime(value)
      else if (nestsDeeperThan(value)) throw new SluiceError('UNREADABLE_FILE', tooDeep(`${file}:${line}`))
      else b.addString(JSON.stringify(value))
    }
    rows++
    for (const b of builders.values()) if (b.length < rows) b.addMissing()
  }

  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = carry + (chunk as string)
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      addLine(text.slice(start, nl))
      start = nl + 1
    }
    carry = text.slice(start)
  }
  if (carry !== '') addLine(carry)
  if (line === 0) throw new SluiceError('UNREADABLE_FILE', `${file} is empty: there are no JSON lines`)
  return { rows, columns: [...builders.values()].map((b) => b.build()) }
}
