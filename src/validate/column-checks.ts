import { type CategoryColumn, type Column, cell } from '../data/frame.js'
import type { ColumnContract, ContractType } from './contract.js'
import { boundValue } from './contract.js'
import { percent, showValue, showValues } from './format.js'
import type { CheckName, CheckResult, Scalar } from './types.js'

/** How many offending values a result lists. */
const EXAMPLES = 5

/** The value checks of one column that is in the data, in a fixed order. */
export function valueChecks(col: Column, spec: ColumnContract): CheckResult[] {
  const out: CheckResult[] = []
  if (spec.type !== undefined) out.push(typeCheck(col, spec.type))
  if (spec.max_missing !== undefined) out.push(missingCheck(col, spec.max_missing))
  if (spec.min !== undefined) out.push(boundCheck(col, 'min', spec.min))
  if (spec.max !== undefined) out.push(boundCheck(col, 'max', spec.max))
  if (spec.allowed !== undefined) out.push(allowedCheck(col, spec.allowed))
  if (spec.regex !== undefined) out.push(regexCheck(col, spec.regex))
  if (spec.unique) out.push(uniqueCheck(col))
  return out
}

const present = (col: Column) => col.missing.length - col.missingCount

/** What a column holds, in words: "numbers (int)", "datetimes", "string values". */
function holds(col: Column): string {
  return col.kind === 'number'
    ? `numbers (${col.dtype})`
    : col.kind === 'datetime'
      ? 'datetimes'
      : `${col.dtype} values`
}

function result(
  col: Column,
  check: CheckName,
  fields: Omit<CheckResult, 'check' | 'column' | 'message'>,
  message: string,
): CheckResult {
  return { check, column: col.name, ...fields, message: `${col.name}: ${message}` }
}

/** A present cell as a JSON value (datetimes as ISO-8601 text). */
const valueAt = (col: Column, row: number): Scalar => cell(col, row)!

function firstValue(col: Column, accept: (row: number) => boolean = () => true): Scalar | null {
  for (let i = 0; i < col.missing.length; i++) if (!col.missing[i] && accept(i)) return valueAt(col, i)
  return null
}

function typeMatches(col: Column, want: ContractType): boolean {
  switch (want) {
    case 'integer':
      return (
        col.kind === 'number' && (col.dtype === 'int' || firstValue(col, (i) => !isWhole(col, i)) === null)
      )
    case 'number':
      return col.kind === 'number'
    case 'string':
    case 'category':
      return col.kind === 'category'
    case 'bool':
      return col.dtype === 'bool'
    case 'datetime':
      return col.kind === 'datetime'
  }
}

const isWhole = (col: Column, row: number) => col.kind === 'number' && Number.isInteger(col.values[row]!)

function typeCheck(col: Column, want: ContractType): CheckResult {
  if (present(col) === 0) {
    return result(
      col,
      'type',
      { observed: null, expected: want, passed: true },
      'every value is missing, so there is no type to check',
    )
  }
  const passed = typeMatches(col, want)
  const example =
    want === 'integer' && col.kind === 'number' ? firstValue(col, (i) => !isWhole(col, i)) : firstValue(col)
  return result(
    col,
    'type',
    { observed: col.dtype, expected: want, passed },
    passed
      ? `holds ${holds(col)}, as expected (${want})`
      : `holds ${holds(col)} such as ${showValue(example)}, expected ${want}`,
  )
}

function missingCheck(col: Column, maxShare: number): CheckResult {
  const rows = col.missing.length
  const share = rows === 0 ? 0 : col.missingCount / rows
  const passed = share <= maxShare
  return result(
    col,
    'max_missing',
    { observed: share, expected: maxShare, passed },
    `${col.missingCount} of ${rows} values missing (${percent(share)}), expected at most ${percent(maxShare)}`,
  )
}

function boundCheck(col: Column, check: 'min' | 'max', bound: number | string): CheckResult {
  const expected = typeof bound === 'string' ? new Date(boundValue(bound)!).toISOString() : bound
  const fail = (message: string) => result(col, check, { observed: null, expected, passed: false }, message)
  if (col.kind === 'category')
    return fail(`${check} applies to numbers and datetimes, but it holds ${holds(col)}`)
  if (col.kind === 'number' && typeof bound === 'string')
    return fail(`${check} is the date ${bound}, but the column holds ${holds(col)}`)
  if (col.kind === 'datetime' && typeof bound === 'number')
    return fail(`${check} is the number ${bound}, but the column holds datetimes; write it as a date`)

  const limit = boundValue(bound)!
  const below = check === 'min'
  let extreme = Number.NaN
  let outside = 0
  for (let i = 0; i < col.values.length; i++) {
    const v = col.values[i]!
    if (col.missing[i] || Number.isNaN(v)) continue
    if (Number.isNaN(extreme) || (below ? v < extreme : v > extreme)) extreme = v
    if (below ? v < limit : v > limit) outside++
  }
  if (Number.isNaN(extreme))
    return result(col, check, { observed: null, expected, passed: true }, 'no values to compare')
  const observed = col.kind === 'datetime' ? new Date(extreme).toISOString() : extreme
  const word = below ? 'smallest' : 'largest'
  return result(
    col,
    check,
    { observed, expected, passed: outside === 0 },
    outside === 0
      ? `${word} value ${showValue(observed)}, within ${check} ${showValue(expected)}`
      : `${outside} value${outside === 1 ? ' is' : 's are'} ${below ? 'below' : 'above'} ${showValue(expected)}; the ${word} is ${showValue(observed)}`,
  )
}

/**
 * Counts the rows whose value is `bad` (missing values are left to max_missing) and collects the
 * first few distinct offending values.
 */
function offending(
  col: Column,
  bad: (row: number) => boolean,
  key: (row: number) => number | string,
): { count: number; examples: Scalar[] } {
  let count = 0
  const seen = new Set<number | string>()
  const examples: Scalar[] = []
  for (let i = 0; i < col.missing.length; i++) {
    if (col.missing[i] || !bad(i)) continue
    count++
    const k = key(i)
    if (examples.length < EXAMPLES && !seen.has(k)) {
      seen.add(k)
      examples.push(valueAt(col, i))
    }
  }
  return { count, examples }
}

/** Per dictionary entry, whether it fails `test` (each distinct text is tested once). */
function badCodes(col: CategoryColumn, test: (text: string) => boolean): (row: number) => boolean {
  const bad = col.dictionary.map((text) => !test(text))
  return (row) => bad[col.codes[row]!]!
}

const rowKey =
  (col: Column) =>
  (row: number): number | string =>
    col.kind === 'category' ? col.codes[row]! : col.values[row]!

function allowedCheck(col: Column, allowed: Scalar[]): CheckResult {
  if (col.kind === 'datetime') {
    return result(
      col,
      'allowed',
      { observed: null, expected: allowed, passed: false },
      'allowed applies to text, bool and number columns, but it holds datetimes; bound them with min and max',
    )
  }
  let bad: (row: number) => boolean
  if (col.kind === 'category') {
    const texts = new Set(allowed.map(String))
    bad = badCodes(col, (text) => texts.has(text))
  } else {
    const numbers = new Set(allowed.filter((v) => typeof v === 'number'))
    bad = (row) => !numbers.has(col.values[row]!)
  }
  const { count, examples } = offending(col, bad, rowKey(col))
  return result(
    col,
    'allowed',
    { observed: count, expected: allowed, passed: count === 0, ...(count > 0 && { examples }) },
    count === 0
      ? 'every value is allowed'
      : `${count} value${count === 1 ? ' is' : 's are'} not allowed, e.g. ${showValues(examples)}; allowed: ${showValues(allowed)}`,
  )
}

function regexCheck(col: Column, pattern: string): CheckResult {
  if (col.kind !== 'category') {
    return result(
      col,
      'regex',
      { observed: null, expected: pattern, passed: false },
      `regex applies to text and bool values, but it holds ${holds(col)}`,
    )
  }
  const re = new RegExp(pattern)
  const { count, examples } = offending(
    col,
    badCodes(col, (text) => re.test(text)),
    rowKey(col),
  )
  return result(
    col,
    'regex',
    { observed: count, expected: pattern, passed: count === 0, ...(count > 0 && { examples }) },
    count === 0
      ? `every value matches ${pattern}`
      : `${count} value${count === 1 ? ' does' : 's do'} not match ${pattern}, e.g. ${showValues(examples)}`,
  )
}

function uniqueCheck(col: Column): CheckResult {
  const key = rowKey(col)
  const seen = new Set<number | string>()
  const { count, examples } = offending(
    col,
    (row) => {
      const k = key(row)
      if (seen.has(k)) return true
      seen.add(k)
      return false
    },
    key,
  )
  return result(
    col,
    'unique',
    { observed: count, expected: true, passed: count === 0, ...(count > 0 && { examples }) },
    count === 0
      ? 'every value is unique'
      : `${count} value${count === 1 ? ' repeats' : 's repeat'} an earlier one, e.g. ${showValues(examples)}`,
  )
}
