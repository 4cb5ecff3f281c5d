import { isLosslessNumber, type LosslessNumber, parse, stringify } from 'lossless-json'
import { badRequest } from './errors.js'
import { NonFinite, parseWithNonFinite } from './json-nonfinite.js'

export { isLosslessNumber, type LosslessNumber, NonFinite }

/**
 * A JSON number as parsed: a double, its literal text where a double could not hold it, or a
 * NaN / Infinity / -Infinity token.
 */
export type JsonNumber = number | LosslessNumber | NonFinite

export const isJsonNumber = (v: unknown): v is JsonNumber =>
  typeof v === 'number' || isLosslessNumber(v) || v instanceof NonFinite

/** The number's text as the client wrote it (or as the double prints). */
export const numberText = (v: JsonNumber): string => (typeof v === 'number' ? String(v) : v.value)

/** 16 digits in a row: a literal that may be an integer a double cannot hold exactly. */
const LONG_DIGITS = /\d{16}/

/** A NaN or Infinity token may be what made JSON.parse fail (Python's json writes them). */
const NON_FINITE = /NaN|Infinity/

const LOSSLESS = { onDuplicateKey: ({ newValue }: { newValue: unknown }) => newValue }

/**
 * Parses a request body. A body with no run of 16 digits is parsed natively (every number it can
 * hold fits a double exactly enough: integers up to 15 digits are exact). Any other body keeps
 * its numbers as literal text (LosslessNumber), so an INT64 such as 9007199254740993 is never
 * rounded through a double. Duplicate keys: the last wins, as in JSON.parse. A body that neither
 * reads, but holds NaN or Infinity, is read again by a reader that takes those tokens as numbers,
 * as Python's json does (tritonclient writes them for missing values); ordinary bodies never pay
 * for it. Malformed JSON is a 400 that says where it failed (the readers' messages name the
 * position and what they expected).
 */
export function parseJson(text: string): unknown {
  try {
    return LONG_DIGITS.test(text) ? parse(text, null, LOSSLESS) : JSON.parse(text)
  } catch (e) {
    if (!(e instanceof SyntaxError) || !NON_FINITE.test(text)) throw malformed(e, text)
    try {
      return parseWithNonFinite(text)
    } catch (tolerant) {
      throw malformed(tolerant, text, true)
    }
  }
}

/**
 * The 400 for a body no reader took. Unless `e` already says where (`located`), lossless-json reads
 * the body again for a message that names the position and what it expected.
 */
function malformed(e: unknown, text: string, located = false): unknown {
  // The readers follow nested arrays and objects by recursion, so they stop at some depth.
  if (e instanceof RangeError) return badRequest(`the JSON nests arrays or objects too deeply (${e.message})`)
  if (!(e instanceof SyntaxError)) return e
  let failure: SyntaxError = e
  if (!located) {
    try {
      parse(text, null, LOSSLESS)
    } catch (lossless) {
      if (lossless instanceof SyntaxError) failure = lossless
    }
  }
  return badRequest(`malformed JSON: ${failure.message}${lineColumn(text, failure.message)}`)
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

/** Deepest nesting of arrays and objects `toPlain` follows. */
export const MAX_PLAIN_DEPTH = 64

/**
 * Parsed JSON turned back into plain values, for request `parameters` the server reads: numbers
 * become numbers, or bigints for integers beyond 2^53. Nesting deeper than MAX_PLAIN_DEPTH is a
 * 400 (`what` names the value), not a stack overflow.
 */
export function toPlain(value: unknown, what: string, depth = 0): unknown {
  if (value instanceof NonFinite) return value.number
  if (isLosslessNumber(value)) {
    const n = Number(value.value)
    return /^-?\d+$/.test(value.value) && !Number.isSafeInteger(n) ? BigInt(value.value) : n
  }
  if (typeof value !== 'object' || value === null) return value
  if (depth === MAX_PLAIN_DEPTH)
    throw badRequest(`${what} nests arrays or objects more than ${MAX_PLAIN_DEPTH} deep`)
  if (Array.isArray(value)) return value.map((v) => toPlain(v, what, depth + 1))
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v, what, depth + 1)]))
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  !isLosslessNumber(v) &&
  !(v instanceof NonFinite)

/** A parsed JSON value as an error message shows it: `string "far"`, `number 1.5`, `an array`. */
export function describeJson(v: unknown): string {
  if (isJsonNumber(v)) return `number ${numberText(v)}`
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
  if (typeof v === 'boolean') return `boolean ${v}`
  if (v === null) return 'null'
  return Array.isArray(v) ? 'an array' : 'an object'
}
