import { describe, expect, it } from 'vitest'
import { Random } from './random.js'

describe('Random', () => {
  it('fill continues the same stream as nextUint32', () => {
    const a = new Random(42)
    const b = new Random(42)
    const filled = [...a.fill(new Uint32Array(1000)), ...a.fill(new Uint32Array(3))]
    const one = Array.from({ length: 1003 }, () => b.nextUint32())
    expect(filled).toEqual(one)
    expect(a.nextUint32()).toBe(b.nextUint32())
    expect(new Set(filled).size).toBeGreaterThan(990)
  })
})
