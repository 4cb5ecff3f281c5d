/** Durations as written in flags and config files: `500ms`, `30s`, `15m`, `2h`, `7d`, or a plain number of seconds. */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** What a duration looks like, for error messages. */
export const DURATION_EXAMPLES = '30s, 15m, 2h or 7d'

/** Milliseconds of a duration, or null when `s` is not one. */
export function parseDuration(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s.trim())
  if (!m) return null
  return Number(m[1]) * UNIT_MS[(m[2] ?? 's') as keyof typeof UNIT_MS]
}

/** A duration for people: the largest unit that keeps the number at least 1, e.g. `3.2d`, `45m`. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : ''
  const abs = Math.abs(ms)
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (abs >= UNIT_MS[unit]) return `${sign}${Number((abs / UNIT_MS[unit]).toFixed(1))}${unit}`
  }
  return `${sign}${Math.round(abs)}ms`
}
