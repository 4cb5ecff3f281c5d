import { isLosslessNumber, type LosslessNumber, parse, stringify } from 'lossless-json'
import { badRequest } from './errors.js'

export { isLosslessNumber, type LosslessNumber }

/**
 * Parses a request body keeping every number as its literal text (a LosslessNumber), so an INT64
 * such as 9007199254740993 is never rounded through a double. Duplicate keys are refused (plain
 * JSON.parse would silently keep the last). Malformed JSON is a 400 that says where it failed.
 */
export function parseJson(text: string): unknown {
  try {
    return parse(text)
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e
    throw badRequest(`malformed JSON: ${e.message}${lineColumn(text, e.message)}`)
  }
}

/** lossless-json reports a zero-based character position; people look for a line and a column. */
function lineColumn(text: string, message: string): string {
  const at = /position (\d+)/.exec(message)
  if (!at) return ''
  const before = text.slice(0, Number(at[1]))
  const line = before.split('\n').length
  return ` (line ${line}, column ${before.length - before.lastIndexOf('\n')})`
}

/** JSON text in which bigints are exact integer literals (JSON.stringify throws on them). */
export function stringifyJson(value: unknown): string {
  return stringify(value) as string
}

/**
 * Parsed JSON turned back into plain values, for request `parameters` the server reads: numbers
 * become numbers, or bigints for integers beyond 2^53.
 */
export function toPlain(value: unknown): unknown {
  if (isLosslessNumber(value)) {
    const n = Number(value.value)
    return /^-?\d+$/.test(value.value) && !Number.isSafeInteger(n) ? BigInt(value.value) : n
  }
  if (Array.isArray(value)) return value.map(toPlain)
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]))
  return value
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !isLosslessNumber(v)

/** A parsed JSON value as an error message shows it: `string "far"`, `number 1.5`, `an array`. */
export function describeJson(v: unknown): string {
  if (isLosslessNumber(v)) return `number ${v.value}`
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
  if (typeof v === 'boolean') return `boolean ${v}`
  if (v === null) return 'null'
  return Array.isArray(v) ? 'an array' : 'an object'
}
