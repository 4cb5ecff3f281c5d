/** The one source of "now", so tests can freeze time. Always UTC ISO-8601 with milliseconds. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

export const isoNow = (clock: Clock = systemClock): string => clock.now().toISOString()

let cachedMs = Number.NaN
let cachedIso = ''

/**
 * The UTC ISO-8601 text of a time in epoch milliseconds (fractions dropped), formatted once per
 * millisecond: a busy server stamps thousands of log lines and records within the same one.
 */
export function isoAt(ms: number): string {
  const whole = Math.floor(ms)
  if (whole !== cachedMs) {
    cachedMs = whole
    cachedIso = new Date(whole).toISOString()
  }
  return cachedIso
}
