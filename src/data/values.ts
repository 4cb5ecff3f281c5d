/**
 * Reading cell text: missing-value tokens, numbers, booleans and ISO-8601 datetimes.
 * Timestamps without a zone are read as UTC.
 */

/** pandas' default missing-value tokens, so files read the same way they would in pandas. */
export const MISSING_TOKENS = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
])

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
]

/** Result of reading a number: the value, whether it was written as an integer, or null if not a number. */
export interface ParsedNumber {
  value: number
  integer: boolean
}

const scratch: ParsedNumber = { value: 0, integer: false }

/**
 * Parses decimal text as a number. The fast path (at most 15 significant digits and a power of ten
 * up to 22) is exact because both operands are exact doubles and one division rounds correctly;
 * anything else goes to Number(). Returns a shared object: copy the fields before the next call.
 */
export function parseNumber(s: string): ParsedNumber | null {
  const n = s.length
  let i = 0
  let neg = false
  let c = s.charCodeAt(0)
  if (c === 45 /* - */ || c === 43 /* + */) {
    neg = c === 45
    i = 1
  }
  let mantissa = 0
  let digits = 0
  let fraction = 0
  let sawDot = false
  for (; i < n; i++) {
    c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48)
      if (mantissa !== 0) digits++
      if (sawDot) fraction++
    } else if (c === 46 /* . */ && !sawDot) sawDot = true
    else break
  }
  const bodyLength = i - (neg || s.charCodeAt(0) === 43 ? 1 : 0) - (sawDot ? 1 : 0)
  if (i === n && bodyLength > 0 && digits <= 15 && fraction <= 22) {
    scratch.value = (neg ? -mantissa : mantissa) / POW10[fraction]!
    scratch.integer = !sawDot
    return scratch
  }
  return slowNumber(s)
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const INF_RE = /^[+-]?(inf|infinity)$/i

function slowNumber(s: string): ParsedNumber | null {
  const t = s.trim()
  if (NUMBER_RE.test(t)) {
    scratch.value = Number(t)
    scratch.integer = /^[+-]?\d+$/.test(t) && Number.isSafeInteger(scratch.value)
    return scratch
  }
  if (INF_RE.test(t)) {
    scratch.value = t.startsWith('-') ? -Infinity : Infinity
    scratch.integer = false
    return scratch
  }
  return null
}

export function parseBoolean(s: string): boolean | null {
  if (s.length < 4 || s.length > 5) return null
  const l = s.toLowerCase()
  return l === 'true' ? true : l === 'false' ? false : null
}

const DATETIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/

/** ISO-8601 date or datetime to epoch milliseconds (UTC when no zone is written), or null. */
export function parseDatetime(s: string): number | null {
  if (s.length < 10 || s.charCodeAt(4) !== 45) return null
  const m = DATETIME_RE.exec(s)
  if (!m) return null
  const [, y, mo, d, h, mi, sec, frac, zone] = m
  const month = Number(mo)
  const day = Number(d)
  if (month < 1 || month > 12 || day < 1 || day > 31) return null
  const hour = Number(h ?? 0)
  const minute = Number(mi ?? 0)
  const second = Number(sec ?? 0)
  if (hour > 23 || minute > 59 || second > 60) return null
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0
  let t = Date.UTC(Number(y), month - 1, day, hour, minute, second, ms)
  if (new Date(t).getUTCDate() !== day) return null // 2001-02-30
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0)) * 60_000
  }
  return t
}
