import { describe, expect, it } from 'vitest'
import type { Signature } from '../core/types.js'
import type { DeploymentRecord, DeploymentStore, Routing } from '../store/types.js'
import { DeploymentTable } from './deployments.js'
import type { LoadedVersion, ModelCache } from './model-cache.js'

const signature: Signature = { inputs: [], outputs: [] }

/** A cache that counts holds, and a store whose reads can be held back to interleave a pass with a flip. */
function fixture() {
  const loaded = new Map<string, LoadedVersion>()
  const cache = {
    async loadHeld(model: string, version: number) {
      const key = `${model}@${version}`
      const v =
        loaded.get(key) ??
        ({
          model,
          version,
          signature,
          engine: { name: 'onnxruntime' },
          holders: 0,
          inFlight: 0,
        } as unknown as LoadedVersion)
      loaded.set(key, v)
      v.holders++
      return v
    },
    drop(v: LoadedVersion) {
      v.holders--
    },
  }
  let records: DeploymentRecord[] = []
  let gate: Promise<void> | null = null
  const store = {
    async listDeployments() {
      const snapshot = records // what the store held when the read started
      await gate
      return snapshot
    },
  }
  const table = new DeploymentTable(store as unknown as DeploymentStore, cache as unknown as ModelCache, {
    pollMs: 60_000,
    log: () => {},
  })
  return {
    table,
    holders: (key: string) => loaded.get(key)?.holders,
    set: (r: DeploymentRecord[]) => {
      records = r
    },
    hold: () => {
      let open!: () => void
      gate = new Promise((r) => {
        open = r
      })
      return () => {
        gate = null
        open()
      }
    },
  }
}

const record = (revision: number, routing: Routing | null): DeploymentRecord => ({
  name: 'd',
  model: 'm',
  version: 1,
  alias: null,
  batching: null,
  routing,
  revision,
  created_at: '',
  updated_at: '',
})
const canary: Routing = {
  rollout: 'ro',
  sticky_key: null,
  arms: [
    { model: 'm', version: 1, weight: 50, role: 'stable' },
    { model: 'm', version: 2, weight: 50, role: 'canary', from: 0 },
  ],
}
const picks = (t: DeploymentTable) =>
  new Set(Array.from({ length: 20 }, () => t.get('d')!.router!.pick(null, null)!.v.version))

describe('deployment table', () => {
  it('keeps a flip made before its write, ignoring a pass that read the store before the write', async () => {
    const f = fixture()
    f.set([record(2, canary)])
    await f.table.refresh()
    expect(picks(f.table)).toEqual(new Set([1, 2]))
    // A poll reads the old record, then the abort flips routing here, then the poll applies what it read.
    const release = f.hold()
    const stale = f.table.refresh()
    expect(f.table.reroute('d', null, { model: 'm', version: 1 })).toBe(true)
    release()
    await stale
    expect(picks(f.table)).toEqual(new Set([1]))
    // The written record (a newer revision) is applied, and the canary is let go.
    f.set([record(3, null)])
    await f.table.refresh()
    expect(picks(f.table)).toEqual(new Set([1]))
    expect([f.holders('m@1'), f.holders('m@2')]).toEqual([1, 0])
  })

  it('runs a refresh asked for during a pass after it, so it reads what was written meanwhile', async () => {
    const f = fixture()
    f.set([record(2, canary)])
    const release = f.hold()
    const first = f.table.refresh()
    f.set([record(3, null)])
    const second = f.table.refresh()
    release()
    await Promise.all([first, second])
    expect(f.table.get('d')!.record.revision).toBe(3)
    expect([f.holders('m@1'), f.holders('m@2')]).toEqual([1, 0])
  })

  it('batches every version a batched deployment routes to, and keeps the batchers across changes', async () => {
    const f = fixture()
    const batching = { max_rows: 8, max_wait_ms: 1 }
    f.set([{ ...record(2, canary), batching }])
    await f.table.refresh()
    const before = f.table.get('d')!.batchers
    expect([...before.keys()].map((v) => v.version).sort()).toEqual([1, 2])
    f.set([{ ...record(3, null), batching }])
    await f.table.refresh()
    const after = f.table.get('d')!.batchers
    expect([...after.keys()].map((v) => v.version)).toEqual([1])
    expect(after.get(f.table.get('d')!.current!)).toBe(
      [...before.entries()].find(([v]) => v.version === 1)![1],
    )
  })
})
