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

/** Result of reading a number: the value, and whether it was written as an integer. */
export interface ParsedNumber {
  value: number
  integer: boolean
}

/** The last number read by parseNumberAt (reused so the hot loop allocates nothing). */
export const parsed: ParsedNumber = { value: 0, integer: false }

/**
 * Reads text[start, end) as a decimal number into `parsed`; false if it is not a number. The
 * fast path (at most 15 significant digits and a power of ten up to 22) is exact because both
 * operands are exact doubles and one division rounds correctly; anything else goes to Number().
 */
export function parseNumberAt(text: string, start: number, end: number): boolean {
  let i = start
  let c = text.charCodeAt(i)
  const neg = c === 45 /* - */
  if (neg || c === 43 /* + */) i++
  const bodyStart = i
  let mantissa = 0
  let digits = 0
  let fraction = 0
  let sawDot = false
  for (; i < end; i++) {
    c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48)
      if (mantissa !== 0) digits++
      if (sawDot) fraction++
    } else if (c === 46 /* . */ && !sawDot) sawDot = true
    else break
  }
  if (i === end && i - bodyStart - (sawDot ? 1 : 0) > 0 && digits <= 15 && fraction <= 22) {
    parsed.value = (neg ? -mantissa : mantissa) / POW10[fraction]!
    parsed.integer = !sawDot
    return true
  }
  return slowNumber(text.slice(start, end))
}

/** parseNumberAt over a whole string; returns the shared result or null. */
export function parseNumber(s: string): ParsedNumber | null {
  return parseNumberAt(s, 0, s.length) ? parsed : null
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const INF_RE = /^[+-]?(inf|infinity)$/i

function slowNumber(s: string): boolean {
  const t = s.trim()
  if (NUMBER_RE.test(t)) {
    parsed.value = Number(t)
    parsed.integer = /^[+-]?\d+$/.test(t) && Number.isSafeInteger(parsed.value)
    return true
  }
  if (INF_RE.test(t)) {
    parsed.value = t.startsWith('-') ? -Infinity : Infinity
    parsed.integer = false
    return true
  }
  return false
}

export function parseBoolean(s: string): boolean | null {
  if (s.length < 4 || s.length > 5) return null
  const l = s.toLowerCase()
  return l === 'true' ? true : l === 'false' ? false : null
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil), or NaN if invalid. */
function daysFromCivil(year: number, month: number, day: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]! + (month === 2 && leap ? 1 : 0))
    return Number.NaN
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** Reads `count` digits at text[at]; -1 if any is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let v = 0
  for (let i = 0; i < count; i++) {
    const c = text.charCodeAt(at + i) - 48
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

/**
 * ISO-8601 date or datetime in text[start, end) to epoch milliseconds, or null:
 * YYYY-MM-DD, then optionally T or space, HH:MM, :SS, .fraction, and Z or ±HH[:MM]. A time
 * without a zone is UTC.
 */
export function parseDatetimeAt(text: string, start: number, end: number): number | null {
  const len = end - start
  if (len < 10 || text.charCodeAt(start + 4) !== 45 || text.charCodeAt(start + 7) !== 45) return null
  const year = digitsAt(text, start, 4)
  const month = digitsAt(text, start + 5, 2)
  const day = digitsAt(text, start + 8, 2)
  if (year < 0 || month < 0 || day < 0) return null
  const days = daysFromCivil(year, month, day)
  if (Number.isNaN(days)) return null
  let ms = days * 86_400_000
  let p = start + 10
  if (p === end) return ms
  const sep = text.charCodeAt(p)
  if ((sep !== 84 /* T */ && sep !== 32) || p + 6 > end || text.charCodeAt(p + 3) !== 58 /* : */) return null
  const hour = digitsAt(text, p + 1, 2)
  const minute = digitsAt(text, p + 4, 2)
  if (hour < 0 || minute < 0 || hour > 23 || minute > 59) return null
  ms += hour * 3_600_000 + minute * 60_000
  p += 6
  if (p < end && text.charCodeAt(p) === 58) {
    const second = digitsAt(text, p + 1, 2)
    if (second < 0 || second > 60) return null
    ms += second * 1000
    p += 3
    if (p < end && text.charCodeAt(p) === 46 /* . */) {
      let q = p + 1
      let frac = 0
      let scale = 100
      while (q < end) {
        const c = text.charCodeAt(q) - 48
        if (c < 0 || c > 9) break
        frac += c * scale
        scale /= 10
        q++
      }
      if (q === p + 1 || q - p - 1 > 9) return null
      ms += Math.floor(frac)
      p = q
    }
  }
  while (p < end && text.charCodeAt(p) === 32) p++
  if (p === end) return ms
  const z = text.charCodeAt(p)
  if (z === 90 /* Z */ && p + 1 === end) return ms
  if ((z === 43 || z === 45) && (p + 3 === end || p + 5 === end || p + 6 === end)) {
    const zh = digitsAt(text, p + 1, 2)
    const zm = p + 3 === end ? 0 : digitsAt(text, end - 2, 2)
    if (zh < 0 || zm < 0 || (p + 6 === end && text.charCodeAt(p + 3) !== 58)) return null
    return ms - (z === 43 ? 1 : -1) * (zh * 60 + zm) * 60_000
  }
  return null
}

/** ISO-8601 date or datetime to epoch milliseconds (UTC when no zone is written), or null. */
export function parseDatetime(s: string): number | null {
  return parseDatetimeAt(s, 0, s.length)
}
