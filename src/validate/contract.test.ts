import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { SluiceError } from '../core/errors.js'
import { parseContract, readContract } from './contract.js'

/** The SluiceError a parse throws (fails the test when it does not throw). */
function parseError(text: string): SluiceError {
  try {
    parseContract(text, 'contract.yaml')
  } catch (e) {
    expect(e).toBeInstanceOf(SluiceError)
    return e as SluiceError
  }
  throw new Error('expected the contract to be refused')
}

describe('parseContract', () => {
  it('reads every key of a full contract', () => {
    const contract = parseContract(
      [
        'columns:',
        '  distance: {type: number, required: true, min: 0, max: 6000, max_missing: 0}',
        "  origin: {type: category, allowed: [JFK, LAX], regex: '^[A-Z]{3}$'}",
        '  id: {unique: true, required: false}',
        '  date: {type: datetime, min: 2001-01-01, max: 2001-12-31T23:59:59Z}',
        'dataset:',
        '  rows: {min: 1000, max: 10000000}',
        '  freshness: {column: date, max_age: 7d}',
        '  drift:',
        '    drift_share: 0.3',
        '    columns: [distance, origin]',
        '    stattest: psi',
        '    threshold: 0.2',
        '    per_type: {num: {stattest: ks}}',
        '    per_column: {origin: {threshold: 0.1}}',
        '    mapping: {id: id}',
      ].join('\n'),
      'contract.yaml',
    )
    expect(contract.columns!.distance).toEqual({
      type: 'number',
      required: true,
      min: 0,
      max: 6000,
      max_missing: 0,
    })
    expect(contract.columns!.date!.min).toBe('2001-01-01')
    expect(contract.dataset!.freshness).toEqual({
      column: 'date',
      max_age: { text: '7d', ms: 7 * 86_400_000 },
    })
    expect(contract.dataset!.drift).toMatchObject({ drift_share: 0.3, per_type: { num: { stattest: 'ks' } } })
  })

  it('names an unknown key, its line and the keys that are valid there', () => {
    const e = parseError('columns:\n  distance:\n    type: number\n    maximum: 10\n')
    expect(e.code).toBe('INVALID_CONFIG')
    expect(e.message).toContain('contract.yaml:4: unknown key "columns.distance.maximum"')
    expect(e.message).toContain(
      'expected one of: type, required, min, max, max_missing, allowed, unique, regex',
    )
  })

  it('names a value of the wrong type with the line, the key, what was expected and what was found', () => {
    const e = parseError('columns:\n  a: {max_missing: 0.1}\n  b:\n    max_missing: lots\n')
    expect(e.message).toBe('contract.yaml:4: columns.b.max_missing: expected number, got "lots"')
    expect(parseError('columns:\n  a: {max_missing: 5}\n').message).toBe(
      'contract.yaml:2: columns.a.max_missing: expected a share between 0 and 1, got 5',
    )
    expect(parseError('columns:\n  a: {type: text}\n').message).toContain(
      'contract.yaml:2: columns.a.type: expected one of "integer", "number", "string", "category", "bool", "datetime", got "text"',
    )
  })

  it('refuses bounds that cannot hold: min above max, a date for a number, min on text, a bad date', () => {
    expect(parseError('columns:\n  a: {min: 5, max: 1}\n').message).toContain(
      'columns.a.max: expected at least min (5), got 1',
    )
    expect(parseError('columns:\n  a: {type: integer, min: 2001-01-01}\n').message).toContain(
      "columns.a.min: expected a number (the column's type is integer)",
    )
    expect(parseError('columns:\n  a: {type: category, max: 3}\n').message).toContain(
      'columns.a.max: expected no max: it applies to integer, number and datetime columns, not category, got 3',
    )
    expect(parseError('columns:\n  a: {min: yesterday}\n').message).toContain(
      'columns.a.min: expected a number, or an ISO-8601 date or datetime',
    )
  })

  it('refuses an invalid regular expression, a bad duration, an unknown drift test and an empty rows range', () => {
    expect(parseError("columns:\n  a: {regex: '[A-Z'}\n").message).toMatch(
      /columns\.a\.regex: expected a valid regular expression \(.+\), got "\[A-Z"/,
    )
    expect(parseError('dataset:\n  freshness: {column: d, max_age: a week}\n').message).toContain(
      'dataset.freshness.max_age: expected a duration such as 30s, 15m, 2h or 7d, got "a week"',
    )
    expect(parseError('dataset:\n  drift: {stattest: magic}\n').message).toMatch(
      /dataset\.drift\.stattest: expected one of .*"ks".*, got "magic"/,
    )
    expect(parseError('dataset:\n  rows: {}\n').message).toContain('dataset.rows: expected min, max or both')
  })

  it('refuses a contract without checks and YAML that does not parse', () => {
    expect(parseError('').message).toContain('the contract has no checks')
    expect(parseError('columns: {}\n').message).toContain('the contract has no checks')
    expect(parseError('columns:\n  a: {min: 1\n').message).toMatch(/^contract\.yaml:\d+: not valid YAML/)
  })
})

describe('readContract', () => {
  it('says a missing contract file does not exist', async () => {
    const file = path.join(os.tmpdir(), 'sluice-no-such-contract.yaml')
    await expect(readContract(file)).rejects.toMatchObject({
      code: 'UNREADABLE_FILE',
      message: `contract file ${file} does not exist; check the path given to --contract`,
    })
  })

  it('reads a contract file', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sluice-contract-')), 'c.yaml')
    writeFileSync(file, 'dataset:\n  rows: {min: 1}\n')
    expect(await readContract(file)).toEqual({ dataset: { rows: { min: 1 } } })
  })
})
