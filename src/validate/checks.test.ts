import { describe, expect, it } from 'vitest'
import { frameFromColumns } from '../data/build.js'
import { checkContract } from './checks.js'
import { parseContract } from './contract.js'
import type { DriftOutcome } from './drift.js'
import type { CheckResult } from './types.js'

const NOW = new Date('2001-07-01T00:00:00Z')

const frame = frameFromColumns({
  id: [1, 2, 3, 4, 5, 6],
  distance: [120, 300, 2500, null, 800, 64],
  origin: ['JFK', 'LAX', 'ORD', 'JFK', 'LAX', 'SFO'],
  weight: [1.5, 2, 3, 4, 5, 6],
  date: ['2001-06-24', '2001-06-25', '2001-06-26', '2001-06-27', '2001-06-28', '2001-06-29'].map(
    (d) => new Date(`${d}T00:00:00Z`),
  ),
  ok: [true, false, true, true, false, true],
})

function check(yaml: string, options: { drift?: DriftOutcome; now?: Date } = {}): CheckResult[] {
  return checkContract(frame, parseContract(yaml, 'contract.yaml'), { now: options.now ?? NOW, ...options })
}

/** The one result of a check other than `required`. */
function only(yaml: string, options?: { drift?: DriftOutcome; now?: Date }): CheckResult {
  const results = check(yaml, options).filter((r) => r.check !== 'required')
  expect(results).toHaveLength(1)
  return results[0]!
}

describe('checkContract: columns', () => {
  it('required: passes when the column is there, fails when it is not, skips an optional one', () => {
    const [present, absent, optional] = check(
      'columns:\n  distance: {}\n  distnce: {min: 0}\n  extra: {required: false, min: 0}\n',
    )
    expect(present).toMatchObject({ check: 'required', column: 'distance', observed: true, passed: true })
    expect(absent).toMatchObject({ check: 'required', column: 'distnce', observed: false, passed: false })
    expect(absent!.message).toContain(
      'column "distnce" is not in the data; its columns are id, distance, origin',
    )
    expect(optional).toMatchObject({ check: 'required', observed: false, passed: true, expected: false })
    expect(optional!.skipped).toContain('optional column not in the data')
  })

  it('type: tells integers, numbers, text, bools and datetimes apart', () => {
    const types = (col: string, type: string) => only(`columns:\n  ${col}: {type: ${type}}\n`).passed
    expect(types('id', 'integer')).toBe(true)
    expect(types('id', 'number')).toBe(true)
    expect(types('weight', 'integer')).toBe(false)
    expect(types('weight', 'number')).toBe(true)
    expect(types('origin', 'string')).toBe(true)
    expect(types('origin', 'category')).toBe(true)
    expect(types('origin', 'number')).toBe(false)
    expect(types('ok', 'bool')).toBe(true)
    expect(types('origin', 'bool')).toBe(false)
    expect(types('date', 'datetime')).toBe(true)
    expect(types('distance', 'datetime')).toBe(false)
    const r = only('columns:\n  weight: {type: integer}\n')
    expect(r).toMatchObject({ observed: 'float', expected: 'integer' })
    expect(r.message).toBe('weight: holds numbers (float) such as 1.5, expected integer')
  })

  it('type: a float column of whole numbers counts as integer', () => {
    const f = frameFromColumns({ n: [1, 2.5, 3] })
    const whole = frameFromColumns({ n: [1.0, 2.0, 3.0] })
    f.columns[0]!.missing[1] = 1 // the one fraction is missing: the rest are whole
    const contract = parseContract('columns:\n  n: {type: integer}\n', 'c.yaml')
    expect(checkContract(f, contract, { now: NOW })[1]).toMatchObject({ observed: 'float', passed: true })
    expect(checkContract(whole, contract, { now: NOW })[1]!.passed).toBe(true)
  })

  it('max_missing: compares the share of missing values', () => {
    expect(only('columns:\n  distance: {max_missing: 0.2}\n')).toMatchObject({
      observed: 1 / 6,
      expected: 0.2,
      passed: true,
    })
    const r = only('columns:\n  distance: {max_missing: 0}\n')
    expect(r.passed).toBe(false)
    expect(r.message).toBe('distance: 1 of 6 values missing (16.7%), expected at most 0%')
  })

  it('min and max: pass within the bounds and report the extreme value and how many are outside', () => {
    expect(only('columns:\n  distance: {min: 64}\n')).toMatchObject({
      observed: 64,
      expected: 64,
      passed: true,
    })
    const low = only('columns:\n  distance: {min: 100}\n')
    expect(low).toMatchObject({ check: 'min', observed: 64, passed: false })
    expect(low.message).toBe('distance: 1 value is below 100; the smallest is 64')
    const high = only('columns:\n  distance: {max: 500}\n')
    expect(high).toMatchObject({ check: 'max', observed: 2500, passed: false })
    expect(high.message).toBe('distance: 2 values are above 500; the largest is 2500')
    expect(only('columns:\n  distance: {max: 2500}\n').passed).toBe(true)
  })

  it('min and max on datetimes take dates, and fail on text or a bound of the wrong kind', () => {
    expect(only('columns:\n  date: {min: 2001-06-24}\n')).toMatchObject({
      observed: '2001-06-24T00:00:00.000Z',
      expected: '2001-06-24T00:00:00.000Z',
      passed: true,
    })
    expect(only('columns:\n  date: {max: 2001-06-28T12:00Z}\n')).toMatchObject({
      observed: '2001-06-29T00:00:00.000Z',
      passed: false,
    })
    expect(only('columns:\n  date: {min: 5}\n').message).toBe(
      'date: min is the number 5, but the column holds datetimes; write it as a date',
    )
    expect(only('columns:\n  distance: {min: 2001-01-01}\n').passed).toBe(false)
    expect(only('columns:\n  origin: {min: 0}\n')).toMatchObject({ passed: false, observed: null })
  })

  it('allowed: counts values outside the set and lists a few', () => {
    expect(only('columns:\n  origin: {allowed: [JFK, LAX, ORD, SFO]}\n')).toMatchObject({
      observed: 0,
      passed: true,
    })
    const r = only('columns:\n  origin: {allowed: [JFK, LAX]}\n')
    expect(r).toMatchObject({ observed: 2, passed: false, examples: ['ORD', 'SFO'] })
    expect(r.message).toBe('origin: 2 values are not allowed, e.g. "ORD", "SFO"; allowed: "JFK", "LAX"')
    expect(only('columns:\n  id: {allowed: [1, 2, 3, 4, 5]}\n')).toMatchObject({ observed: 1, examples: [6] })
    expect(only('columns:\n  ok: {allowed: [true]}\n')).toMatchObject({ observed: 2, examples: [false] })
  })

  it('regex: counts text values that do not match', () => {
    expect(only("columns:\n  origin: {regex: '^[A-Z]{3}$'}\n")).toMatchObject({ observed: 0, passed: true })
    const r = only("columns:\n  origin: {regex: '^(JFK|LAX)$'}\n")
    expect(r).toMatchObject({ observed: 2, passed: false, examples: ['ORD', 'SFO'] })
    expect(only("columns:\n  distance: {regex: '^1'}\n").passed).toBe(false)
  })

  it('unique: counts values that repeat an earlier one, ignoring missing values', () => {
    expect(only('columns:\n  id: {unique: true}\n')).toMatchObject({ observed: 0, passed: true })
    expect(only('columns:\n  distance: {unique: true}\n').passed).toBe(true)
    const r = only('columns:\n  origin: {unique: true}\n')
    expect(r).toMatchObject({ observed: 2, passed: false, examples: ['JFK', 'LAX'] })
    expect(check('columns:\n  id: {unique: false}\n').map((c) => c.check)).toEqual(['required'])
  })
})

describe('checkContract: dataset', () => {
  it('rows: checks the row count against min and max', () => {
    expect(only('dataset:\n  rows: {min: 6, max: 6}\n')).toMatchObject({
      check: 'rows',
      column: null,
      observed: 6,
      expected: { min: 6, max: 6 },
      passed: true,
    })
    expect(only('dataset:\n  rows: {min: 1000}\n').message).toBe('6 rows, expected at least 1000')
    expect(only('dataset:\n  rows: {max: 5}\n').passed).toBe(false)
  })

  it('freshness: the newest value must be no older than max_age before now', () => {
    const fresh = only('dataset:\n  freshness: {column: date, max_age: 2d}\n')
    expect(fresh).toMatchObject({
      check: 'freshness',
      column: 'date',
      observed: '2001-06-29T00:00:00.000Z',
      expected: '2001-06-29T00:00:00.000Z',
      passed: true,
    })
    const stale = only('dataset:\n  freshness: {column: date, max_age: 36h}\n')
    expect(stale).toMatchObject({ expected: '2001-06-29T12:00:00.000Z', passed: false })
    expect(stale.message).toBe(
      'date: newest value 2001-06-29T00:00:00.000Z is 2d old at 2001-07-01T00:00:00.000Z, expected at most 36h',
    )
    const later = new Date('2001-07-10T00:00:00Z')
    expect(only('dataset:\n  freshness: {column: date, max_age: 7d}\n', { now: later }).passed).toBe(false)
    expect(only('dataset:\n  freshness: {column: distance, max_age: 7d}\n').message).toContain(
      'freshness needs a datetime column',
    )
    expect(only('dataset:\n  freshness: {column: when, max_age: 7d}\n').passed).toBe(false)
  })

  it('drift: fails on dataset drift, passes without it, fails when it could not be computed, skips without a reference', () => {
    const report = (drifted: string[], tested: number, driftShare = 0.5) => {
      const share = drifted.length / tested
      return {
        report: {
          dataset_drift: share >= driftShare,
          drift_share: driftShare,
          number_of_columns: tested,
          number_of_drifted_columns: drifted.length,
          share_of_drifted_columns: share,
          columns: Object.fromEntries(drifted.map((c) => [c, { drift_detected: true }])),
        },
      } as unknown as DriftOutcome
    }
    const yaml = 'dataset:\n  drift: {drift_share: 0.5}\n'
    const failed = only(yaml, { drift: report(['distance', 'origin'], 4) })
    expect(failed).toMatchObject({
      observed: 0.5,
      expected: 0.5,
      passed: false,
      examples: ['distance', 'origin'],
    })
    expect(failed.message).toBe(
      '2 of 4 columns drifted (50%): "distance", "origin"; the data counts as drifted at 50% or more',
    )
    expect(only(yaml, { drift: report(['distance'], 4) })).toMatchObject({ observed: 0.25, passed: true })
    expect(only(yaml, { drift: { error: 'column "x" is not a column the report can test' } })).toMatchObject({
      observed: null,
      passed: false,
      message: 'drift could not be computed: column "x" is not a column the report can test',
    })
    expect(only(yaml)).toMatchObject({
      passed: true,
      skipped: 'no reference data was given, so drift was not checked',
    })
    // A reference without a drift section is checked with the defaults.
    const withoutSection = check('dataset:\n  rows: {min: 1}\n', { drift: report(['a'], 1) })
    expect(withoutSection.map((r) => [r.check, r.passed])).toEqual([
      ['rows', true],
      ['drift', false],
    ])
  })

  it('orders results: rows, the columns in contract order, freshness, drift', () => {
    const results = check(
      [
        'dataset:',
        '  drift: {}',
        '  freshness: {column: date, max_age: 7d}',
        '  rows: {min: 1}',
        'columns:',
        '  origin: {unique: true, regex: "^[A-Z]+$", allowed: [JFK], type: string}',
        '  distance: {max: 1, min: 0, max_missing: 0}',
      ].join('\n'),
    )
    expect(results.map((r) => `${r.check}:${r.column ?? ''}`)).toEqual([
      'rows:',
      'required:origin',
      'type:origin',
      'allowed:origin',
      'regex:origin',
      'unique:origin',
      'required:distance',
      'max_missing:distance',
      'min:distance',
      'max:distance',
      'freshness:date',
      'drift:',
    ])
  })
})
