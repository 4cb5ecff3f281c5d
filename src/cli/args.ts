import { DURATION_EXAMPLES, parseDuration } from '../core/duration.js'
import { SluiceError } from '../core/errors.js'

/** Commander collector for repeatable options. */
export const collect = (value: string, previous: string[]) => [...previous, value]

/** Splits `KEY=VALUE` (the value may contain `=`). */
export function keyValue(s: string, what: string): [string, string] {
  const eq = s.indexOf('=')
  if (eq <= 0) throw new SluiceError('USAGE', `${what} "${s}" must be written KEY=VALUE`)
  return [s.slice(0, eq), s.slice(eq + 1)]
}

export function numberMap(items: string[], what: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const item of items) {
    const [k, v] = keyValue(item, what)
    const n = Number(v)
    if (v.trim() === '' || !Number.isFinite(n))
      throw new SluiceError('USAGE', `${what} ${k} must be a finite number, got "${v}"`)
    out[k] = n
  }
  return out
}

export function stringMap(items: string[], what: string): Record<string, string> {
  return Object.fromEntries(items.map((item) => keyValue(item, what)))
}

/** Parameter values: numbers and true/false are typed, anything else stays a string. */
export function scalarMap(items: string[], what: string): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const item of items) {
    const [k, v] = keyValue(item, what)
    out[k] =
      v === 'true'
        ? true
        : v === 'false'
          ? false
          : v.trim() !== '' && Number.isFinite(Number(v))
            ? Number(v)
            : v
  }
  return out
}

export function positiveInt(s: string, what: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s))) {
    throw new SluiceError('USAGE', `${what} must be a whole number of at least 1, got "${s}"`)
  }
  return Number(s)
}

/** Durations such as `30s`, `15m`, `2h`, `7d` or a plain number of seconds. */
export function durationMs(s: string, what: string): number {
  const ms = parseDuration(s)
  if (ms === null)
    throw new SluiceError('USAGE', `${what} "${s}" is not a duration; write e.g. ${DURATION_EXAMPLES}`)
  return ms
}
