import { describe, expect, it } from 'vitest'
import { newId } from './ids.js'

describe('newId', () => {
  it('gives 26 Crockford base32 characters after the prefix, ordered by time, never twice', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => newId('req_', 1_700_000_000_000 + Math.floor(i / 10)))
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-hjkmnp-tv-z]{26}$/)
    expect(new Set(ids).size).toBe(ids.length)
    // The first 10 characters are the time: later ids sort after earlier ones.
    expect(newId('', 1000) < newId('', 1001)).toBe(true)
    expect(newId('', 0).slice(0, 10)).toBe('0000000000')
    expect(newId('', 32 ** 2 + 5).slice(0, 10)).toBe('0000000105')
  })
})
