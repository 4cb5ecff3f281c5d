import { describe, expect, it } from 'vitest'
import type { InferCall } from './handler.js'
import type { LoadedVersion } from './model-cache.js'
import { Router } from './router.js'
import { stickyValue } from './sticky.js'

const v1 = { model: 'm', version: 1 } as LoadedVersion
const router = (key: string | null) =>
  new Router(
    { rollout: 'ro', sticky_key: key, arms: [{ model: 'm', version: 1, weight: 100, role: 'stable' }] },
    v1,
    new Map(),
  )
const call = (kind: InferCall['kind'], body: unknown, headers: Record<string, string> = {}): InferCall => ({
  kind,
  deployment: 'd',
  version: undefined,
  requestId: undefined,
  header: (name) => headers[name],
  body: typeof body === 'string' ? body : JSON.stringify(body),
})

describe('sticky key', () => {
  it("reads a body field: an input's first value, or the first instance's field", () => {
    const infer = call('infer', {
      inputs: [
        { name: 'x', data: [1] },
        { name: 'user_id', shape: [1, 1], data: [[42]] },
      ],
    })
    expect(stickyValue(router('user_id'), infer)).toBe('42')
    expect(
      stickyValue(
        router('user_id'),
        call('predict', { instances: [{ user_id: 'u-7' }, { user_id: 'u-8' }] }),
      ),
    ).toBe('u-7')
  })

  it('reads a header, case-insensitively', () => {
    expect(stickyValue(router('header:X-User'), call('predict', {}, { 'x-user': 'alice' }))).toBe('alice')
  })

  it('gives null when the rollout names no key or the request lacks it (routed by weight alone)', () => {
    expect(stickyValue(router(null), call('predict', { instances: [{ user_id: 1 }] }))).toBeNull()
    expect(stickyValue(router('user_id'), call('predict', { instances: [{}] }))).toBeNull()
    expect(stickyValue(router('user_id'), call('predict', 'not json'))).toBeNull()
    expect(
      stickyValue(router('user_id'), call('predict', { instances: [{ user_id: { nested: 1 } }] })),
    ).toBeNull()
  })
})
