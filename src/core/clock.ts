/** The one source of "now", so tests can freeze time. Always UTC ISO-8601 with milliseconds. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

export const isoNow = (clock: Clock = systemClock): string => clock.now().toISOString()
