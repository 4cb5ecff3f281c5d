import { describe, expect, it } from 'vitest'
import { type PredictionRecord, PredictionStream } from './prediction.js'

const record = (i: number): PredictionRecord => ({
  request_id: `r${i}`,
  deployment: 'd',
  model: 'm',
  version: 1,
  at: '2026-01-01T00:00:00.000Z',
  latency_ms: 1,
  rows: 1,
  features: {},
  outputs: {},
})

describe('PredictionStream', () => {
  it('keeps records in order, drops and counts past its capacity, and wraps around', () => {
    const s = new PredictionStream(3)
    expect([1, 2, 3, 4].map((i) => s.push(record(i)))).toEqual([true, true, true, false])
    expect(s.dropped).toBe(1)
    expect(s.drain(2).map((r) => r.request_id)).toEqual(['r1', 'r2'])
    expect(s.push(record(5))).toBe(true)
    expect(s.push(record(6))).toBe(true)
    expect(s.push(record(7))).toBe(false)
    expect(s.drain().map((r) => r.request_id)).toEqual(['r3', 'r5', 'r6'])
    expect(s.size).toBe(0)
    expect([s.pushed, s.dropped]).toEqual([5, 2])
  })
})
