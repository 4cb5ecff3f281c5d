import type { CheckResult, Scalar } from './types.js'

/** How many values a message lists before it cuts the list short (a table cell lists fewer). */
const SHOWN = 5
const SHOWN_IN_CELL = 3

/** A value as people read it in a message: text quoted, numbers rounded to 6 significant digits. */
export function showValue(v: Scalar | null): string {
  if (v === null) return '-'
  if (typeof v === 'number') return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v)
  return typeof v === 'string' && !isIsoTime(v) ? JSON.stringify(v) : String(v)
}

export function showValues(values: Scalar[], limit = SHOWN): string {
  const shown = values.slice(0, limit).map(showValue).join(', ')
  return values.length > limit ? `${shown}, …` : shown
}

export const percent = (share: number) => `${Number((share * 100).toPrecision(3))}%`

const isIsoTime = (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(s)

/** A result's OBSERVED, EXPECTED and RESULT cells for a table. */
export function describeCheck(r: CheckResult): { observed: string; expected: string; result: string } {
  return {
    observed: observedText(r),
    expected: expectedText(r),
    result: r.skipped !== undefined ? 'skipped' : r.passed ? 'ok' : 'FAIL',
  }
}

function observedText(r: CheckResult): string {
  if (r.skipped !== undefined) return '-'
  const o = r.observed
  const examples = r.examples?.length ? `: ${showValues(r.examples, SHOWN_IN_CELL)}` : ''
  switch (r.check) {
    case 'required':
      return o ? 'present' : 'absent'
    case 'type':
      return o === null ? 'all missing' : String(o)
    case 'max_missing':
      return typeof o === 'number' ? percent(o) : '-'
    case 'drift':
      return typeof o === 'number' ? `${percent(o)} drifted${examples}` : 'error'
    case 'allowed':
      return o === null ? '-' : `${o} not allowed${examples}`
    case 'regex':
      return o === null ? '-' : `${o} not matching${examples}`
    case 'unique':
      return `${o} repeated${examples}`
    default:
      return showValue(o)
  }
}

function expectedText(r: CheckResult): string {
  const e = r.expected
  switch (r.check) {
    case 'rows': {
      const { min, max } = e as { min?: number; max?: number }
      return min !== undefined && max !== undefined
        ? `${min} to ${max}`
        : min !== undefined
          ? `≥ ${min}`
          : `≤ ${max}`
    }
    case 'required':
      return e ? 'present' : 'optional'
    case 'type':
      return String(e)
    case 'max_missing':
      return `≤ ${percent(e as number)}`
    case 'min':
    case 'freshness':
      return `≥ ${showValue(e as Scalar)}`
    case 'max':
      return `≤ ${showValue(e as Scalar)}`
    case 'allowed':
      return `one of ${showValues(e as Scalar[], SHOWN_IN_CELL)}`
    case 'regex':
      return `matches ${e}`
    case 'unique':
      return 'no repeats'
    case 'drift':
      return `< ${percent(e as number)} drifted`
    default:
      return showValue(e as Scalar)
  }
}
