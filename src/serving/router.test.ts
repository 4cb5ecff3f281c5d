import { describe, expect, it } from 'vitest'
import type { Routing } from '../store/types.js'
import type { LoadedVersion } from './model-cache.js'
import { Router } from './router.js'

const version = (n: number) => ({ model: 'm', version: n }) as LoadedVersion
const v1 = version(1)
const v2 = version(2)
const versions = new Map([
  ['m@1', v1],
  ['m@2', v2],
])
const routing = (
  weight: number,
  role: 'canary' | 'shadow' = 'canary',
  sticky: string | null = null,
): Routing => ({
  rollout: 'ro_test',
  sticky_key: sticky,
  arms: [
    { model: 'm', version: 1, weight: role === 'shadow' ? 100 : 100 - weight, role: 'stable' },
    { model: 'm', version: 2, weight, role },
  ],
})

describe('router', () => {
  it('gives each arm exactly its share without a key, evenly interleaved', () => {
    const r = new Router(routing(10), v1, versions)
    const picks = Array.from({ length: 1000 }, () => r.pick(null, null)!.v.version)
    expect(picks.filter((v) => v === 2)).toHaveLength(100)
    // Never two canary answers within nine requests of each other.
    const at = picks.flatMap((v, i) => (v === 2 ? [i] : []))
    expect(Math.min(...at.slice(1).map((x, i) => x - at[i]!))).toBeGreaterThanOrEqual(9)
  })

  it('keeps an entity on its version when the canary weight grows, and splits entities by weight', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `user-${i}`)
    const at10 = new Router(routing(10, 'canary', 'user_id'), v1, versions)
    const at25 = new Router(routing(25, 'canary', 'user_id'), v1, versions)
    const on10 = keys.filter((k) => at10.pick(null, k)!.v === v2)
    const on25 = new Set(keys.filter((k) => at25.pick(null, k)!.v === v2))
    expect(on10.length / keys.length).toBeCloseTo(0.1, 1)
    expect(on25.size / keys.length).toBeCloseTo(0.25, 1)
    expect(on10.every((k) => on25.has(k))).toBe(true)
    // Same answer every time, and from another router built from the same routing (a replica, a restart).
    const again = new Router(routing(10, 'canary', 'user_id'), v1, versions)
    expect(keys.every((k) => again.pick(null, k)!.v === at10.pick(null, k)!.v)).toBe(true)
  })

  it('answers a version asked for by number, and nothing for one it does not route to', () => {
    const r = new Router(routing(10), v1, versions)
    expect(r.pick(2, null)!.role).toBe('canary')
    expect(r.pick(1, null)!.role).toBe('stable')
    expect(r.pick(7, null)).toBeNull()
    // An arm that failed to load gets no traffic.
    const missing = new Router(routing(50), v1, new Map([['m@1', v1]]))
    expect(new Set(Array.from({ length: 20 }, () => missing.pick(null, null)!.v.version))).toEqual(
      new Set([1]),
    )
  })

  it('never answers with a shadow, and mirrors its share of requests', () => {
    const r = new Router(routing(25, 'shadow'), v1, versions)
    let mirrored = 0
    for (let i = 0; i < 400; i++) {
      expect(r.pick(null, null)!.v).toBe(v1)
      if (r.mirror(null)) mirrored++
    }
    expect(mirrored).toBe(100)
  })

  it("keeps an A/B arm's entities in place when another arm leaves", () => {
    const v3 = version(3)
    const all = new Map([...versions, ['m@3', v3]])
    const ab = (arms: Routing['arms']): Routing => ({ rollout: 'ro_ab', sticky_key: 'u', arms })
    const before = new Router(
      ab([
        { model: 'm', version: 1, weight: 50, role: 'stable' },
        { model: 'm', version: 2, weight: 25, role: 'arm', from: 0 },
        { model: 'm', version: 3, weight: 25, role: 'arm', from: 25 },
      ]),
      v1,
      all,
    )
    const after = new Router(
      ab([
        { model: 'm', version: 1, weight: 75, role: 'stable' },
        { model: 'm', version: 3, weight: 25, role: 'arm', from: 25 },
      ]),
      v1,
      all,
    )
    const keys = Array.from({ length: 2000 }, (_, i) => `u${i}`)
    const onThree = keys.filter((k) => before.pick(null, k)!.v === v3)
    expect(onThree.length).toBeGreaterThan(400)
    expect(onThree.every((k) => after.pick(null, k)!.v === v3)).toBe(true)
    expect(keys.filter((k) => after.pick(null, k)!.v === v3)).toEqual(onThree)
  })
})
