import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { DURATION_EXAMPLES, parseDuration } from '../core/duration.js'
import { SluiceError } from '../core/errors.js'
import { parseYamlWith } from '../core/yaml.js'
import { columnMappingSchema } from '../data/mapping.js'
import { parseDatetime } from '../data/values.js'
import { STAT_TEST_NAMES } from '../drift/stattests.js'

/** Column types a contract can ask for; `string` and `category` are the same (text values). */
export const CONTRACT_TYPES = ['integer', 'number', 'string', 'category', 'bool', 'datetime'] as const
export type ContractType = (typeof CONTRACT_TYPES)[number]

const NUMERIC_TYPES: readonly ContractType[] = ['integer', 'number']
const TEXT_TYPES: readonly ContractType[] = ['string', 'category', 'bool']

const share = (what: string) =>
  z
    .number()
    .min(0, { error: `expected ${what} between 0 and 1` })
    .max(1, { error: `expected ${what} between 0 and 1` })

const count = z
  .number()
  .int({ error: 'expected a whole number of at least 0' })
  .min(0, { error: 'expected a whole number of at least 0' })

/** A bound: a number, or an ISO-8601 date/datetime (no zone = UTC) for datetime columns. */
const bound = z.union([z.number(), z.string()], {
  error: 'expected a number, or an ISO-8601 date such as 2001-01-01 for a datetime column',
})

const columnSchema = z
  .strictObject({
    type: z.enum(CONTRACT_TYPES).optional(),
    /** The column must be in the data (default true); false makes it optional. */
    required: z.boolean().optional(),
    min: bound.optional(),
    max: bound.optional(),
    /** Largest share of missing values, 0 to 1. */
    max_missing: share('a share').optional(),
    allowed: z
      .array(
        z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' }),
      )
      .min(1, { error: 'expected at least one allowed value' })
      .optional(),
    unique: z.boolean().optional(),
    /** A JavaScript regular expression each value must match (anywhere unless anchored with ^…$). */
    regex: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message })
    for (const key of ['min', 'max'] as const) {
      const v = c[key]
      if (v === undefined) continue
      if (c.type && TEXT_TYPES.includes(c.type))
        issue(key, `expected no ${key}: it applies to integer, number and datetime columns, not ${c.type}`)
      else if (typeof v === 'string' && parseDatetime(v) === null)
        issue(
          key,
          'expected a number, or an ISO-8601 date or datetime such as 2001-01-01 or 2001-01-01T12:00Z',
        )
      else if (typeof v === 'string' && c.type && NUMERIC_TYPES.includes(c.type))
        issue(key, `expected a number (the column's type is ${c.type})`)
      else if (typeof v === 'number' && c.type === 'datetime')
        issue(key, 'expected an ISO-8601 date or datetime such as 2001-01-01 (the column is a datetime)')
    }
    if (c.min !== undefined && c.max !== undefined && typeof c.min === typeof c.max) {
      const [lo, hi] = [boundValue(c.min), boundValue(c.max)]
      if (lo !== null && hi !== null && lo > hi) issue('max', `expected at least min (${c.min})`)
    }
    if (c.allowed && c.type === 'datetime')
      issue(
        'allowed',
        'expected no allowed: it applies to text, bool and number columns (bound datetimes with min and max)',
      )
    if (c.regex !== undefined) {
      if (c.type && !TEXT_TYPES.includes(c.type))
        issue('regex', `expected no regex: it applies to string, category and bool columns, not ${c.type}`)
      else {
        const error = regexError(c.regex)
        if (error) issue('regex', `expected a valid regular expression (${error})`)
      }
    }
  })

const durationSchema = z.string().transform((text, ctx) => {
  const ms = parseDuration(text)
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as ${DURATION_EXAMPLES}` })
    return z.NEVER
  }
  return { text, ms }
})

const testOverride = z.strictObject({
  stattest: z.enum(STAT_TEST_NAMES as [string, ...string[]]).optional(),
  threshold: z.number().min(0, { error: 'expected a threshold of at least 0' }).optional(),
})

const driftSchema = z.strictObject({
  /** The data drifts (and the check fails) when at least this share of the tested columns drift. */
  drift_share: share('a share of columns').optional(),
  /** Only these columns (default: every column the mapping leaves in). */
  columns: z.array(z.string()).min(1, { error: 'expected at least one column' }).optional(),
  stattest: testOverride.shape.stattest,
  threshold: testOverride.shape.threshold,
  per_type: z.strictObject({ num: testOverride, cat: testOverride, text: testOverride }).partial().optional(),
  per_column: z.record(z.string(), testOverride).optional(),
  /** Column roles and types for the drift tests, as `sluice drift --mapping`. */
  mapping: columnMappingSchema.optional(),
})

const datasetSchema = z.strictObject({
  rows: z
    .strictObject({ min: count.optional(), max: count.optional() })
    .superRefine((r, ctx) => {
      if (r.min === undefined && r.max === undefined)
        ctx.addIssue({ code: 'custom', message: 'expected min, max or both' })
      else if (r.min !== undefined && r.max !== undefined && r.min > r.max)
        ctx.addIssue({ code: 'custom', path: ['max'], message: `expected at least min (${r.min})` })
    })
    .optional(),
  /** The newest value of `column` must be no older than `max_age` before now. */
  freshness: z.strictObject({ column: z.string(), max_age: durationSchema }).optional(),
  drift: driftSchema.optional(),
})

export const contractSchema = z.strictObject({
  columns: z.record(z.string(), columnSchema).optional(),
  dataset: datasetSchema.optional(),
})

export type Contract = z.output<typeof contractSchema>
export type ColumnContract = z.output<typeof columnSchema>
export type DriftContract = z.output<typeof driftSchema>

/** Parses a contract's YAML text; errors name the file, the line, the key, and what was expected. */
export function parseContract(text: string, file: string): Contract {
  const contract = parseYamlWith(contractSchema, text, file)
  if (Object.keys(contract.columns ?? {}).length === 0 && Object.keys(contract.dataset ?? {}).length === 0) {
    throw new SluiceError(
      'INVALID_CONFIG',
      `${file}: the contract has no checks; add a columns: or dataset: section (see docs/validate.md)`,
    )
  }
  return contract
}

export async function readContract(file: string): Promise<Contract> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new SluiceError(
      'UNREADABLE_FILE',
      e.code === 'ENOENT'
        ? `contract file ${file} does not exist; check the path given to --contract`
        : `contract file ${file} cannot be read (${e.code ?? e.message})`,
    )
  })
  return parseContract(text, file)
}

/** A bound as a number: itself, or epoch milliseconds for a datetime (null when it does not parse). */
export function boundValue(v: number | string): number | null {
  return typeof v === 'number' ? v : parseDatetime(v)
}

function regexError(source: string): string | null {
  try {
    new RegExp(source)
    return null
  } catch (e) {
    return (e as Error).message
  }
}
