import { describe, expect, it } from 'vitest'
import { parseDatetime, parseNumber } from './values.js'

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString())

describe('parseDatetime', () => {
  it('reads dates and datetimes, naive ones as UTC', () => {
    expect(iso(parseDatetime('2001-01-05'))).toBe('2001-01-05T00:00:00.000Z')
    expect(iso(parseDatetime('2001-01-05 10:30'))).toBe('2001-01-05T10:30:00.000Z')
    expect(iso(parseDatetime('2000-02-29T23:59:59.999'))).toBe('2000-02-29T23:59:59.999Z')
    expect(iso(parseDatetime('1969-12-31T23:59:59.5'))).toBe('1969-12-31T23:59:59.500Z')
  })
  it('converts zones to UTC', () => {
    expect(iso(parseDatetime('2001-01-07T00:00:00Z'))).toBe('2001-01-07T00:00:00.000Z')
    expect(iso(parseDatetime('2001-03-01T00:00:00-01:00'))).toBe('2001-03-01T01:00:00.000Z')
    expect(iso(parseDatetime('2001-03-01T00:00:00+0130'))).toBe('2001-02-28T22:30:00.000Z')
    expect(iso(parseDatetime('2024-07-04 12:00:00 +02'))).toBe('2024-07-04T10:00:00.000Z')
  })
  it('refuses impossible and malformed dates', () => {
    for (const bad of [
      '2001-02-29',
      '2100-02-29',
      '2001-13-01',
      '2001-00-10',
      '2001-04-31',
      '2001-3-1',
      '2001-01-05T25:00',
      '2001-01-05T10:60',
      '20010105',
      'abcd-ef-gh',
    ]) {
      expect(parseDatetime(bad), bad).toBeNull()
    }
  })
})

describe('parseNumber', () => {
  it('reads integers, decimals, exponents and infinities, and says which were integers', () => {
    expect(parseNumber('42')).toEqual({ value: 42, integer: true })
    expect({ ...parseNumber('-0.5')! }).toEqual({ value: -0.5, integer: false })
    expect(parseNumber('1e3')!.value).toBe(1000)
    expect(parseNumber('-inf')!.value).toBe(Number.NEGATIVE_INFINITY)
    expect(parseNumber('12abc')).toBeNull()
    expect(parseNumber('.')).toBeNull()
    expect(parseNumber('-')).toBeNull()
  })
})
