import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openSqliteStore } from './sqlite/open.js'
import type { Routing, Store } from './types.js'

const stores: Store[] = []
afterEach(async () => {
  while (stores.length) await stores.pop()!.close()
})
const file = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'sluice-rollouts-')), 'sluice.db')
async function open(at = file()): Promise<Store> {
  const s = await openSqliteStore(at)
  stores.push(s)
  return s
}

const at = '2026-11-27T00:00:00.000Z'
const routing = (id: string): Routing => ({
  rollout: id,
  sticky_key: null,
  arms: [
    { model: 'm', version: 1, weight: 90, role: 'stable' },
    { model: 'm', version: 2, weight: 10, role: 'canary' },
  ],
})
const record = (id: string) => ({
  id,
  deployment: 'd',
  strategy: 'canary',
  phase: 'progressing' as const,
  spec: {},
  state: {},
  created_at: at,
})
const start = (s: Store, id: string) =>
  s.rollouts.startRollout({
    record: record(id),
    routing: routing(id),
    decisions: [{ at, kind: 'start', message: 'go', detail: {} }],
  })

describe('rollouts in the store', () => {
  it('routes the deployment with the rollout, in one transaction, and lets one rollout run per deployment', async () => {
    const s = await open()
    await expect(start(s, 'ro_0')).rejects.toThrow(/deployment "d" does not exist/)
    await s.deployments.setDeployment({ name: 'd', model: 'm', version: 1, alias: null, batching: null, at })
    const r = await start(s, 'ro_1')
    expect(r.revision).toBe(1)
    expect((await s.deployments.getDeployment('d'))!.routing).toEqual(routing('ro_1'))
    await expect(start(s, 'ro_2')).rejects.toThrow(/already running on deployment "d"/)
    await expect(
      s.deployments.setDeployment({ name: 'd', model: 'm', version: 2, alias: null, batching: null, at }),
    ).rejects.toThrow(/rollout is running on deployment "d"/)
    expect((await s.rollouts.activeRollouts()).map((x) => x.id)).toEqual(['ro_1'])
  })

  it('moves a rollout only from the revision the writer read; its end frees the deployment and can promote', async () => {
    const s = await open()
    await s.deployments.setDeployment({ name: 'd', model: 'm', version: 1, alias: null, batching: null, at })
    await start(s, 'ro_1')
    const change = {
      id: 'ro_1',
      revision: 1,
      phase: 'promoted' as const,
      state: { done: true },
      routing: null,
      version: { model: 'm', version: 2, alias: 'champion' },
      decisions: [{ at, kind: 'promote', message: 'ok', detail: { version: 2 } }],
      at,
    }
    // A tick that changes only the rollout's state leaves the deployment (and the servers' routers) alone.
    const revision = (await s.deployments.getDeployment('d'))!.revision
    const tick = await s.rollouts.updateRollout({
      ...change,
      phase: 'progressing',
      routing: routing('ro_1'),
      version: undefined,
    })
    expect((await s.deployments.getDeployment('d'))!.revision).toBe(revision)
    change.revision = tick!.record.revision
    // A stale writer changes nothing.
    expect(await s.rollouts.updateRollout({ ...change, revision: 1 })).toBeNull()
    const moved = await s.rollouts.updateRollout(change)
    expect([moved!.record.phase, moved!.record.revision, moved!.aliases]).toEqual(['promoted', 3, []])
    expect(await s.rollouts.updateRollout(change)).toBeNull() // the same move twice: the second loses
    const d = (await s.deployments.getDeployment('d'))!
    expect([d.version, d.alias, d.routing]).toEqual([2, 'champion', null])
    expect((await s.deployments.history('d', 5)).map((h) => [h.version, h.previous_version])).toEqual([
      [2, 1],
      [1, null],
    ])
    expect(await s.rollouts.activeRollouts()).toEqual([])
    expect((await s.rollouts.decisions('d', { limit: 10 })).map((x) => x.kind)).toEqual([
      'promote',
      'promote',
      'start',
    ])
    await start(s, 'ro_2') // the deployment is free again
  })
})
