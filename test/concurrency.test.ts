import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { logisticModel } from '../scripts/onnx-fixtures.mjs'
import { loadConfig } from '../src/core/config.js'
import { LocalRegistry } from '../src/registry/local.js'
import { ROOT, tempDir } from './support/cli.js'

const exec = promisify(execFile)
const worker = (script: string, ...args: string[]) =>
  exec(process.execPath, [path.join(ROOT, 'test', 'support', script), ...args]).then(
    (r) => JSON.parse(r.stdout) as number[],
  )

describe('several processes sharing one home', () => {
  it('four processes registering versions of one model at once get distinct, gap-free numbers', async () => {
    const home = tempDir()
    const model = path.join(home, 'm.onnx')
    writeFileSync(model, logisticModel({ features: ['x'], weights: [1] }))
    const perWorker = 25
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => worker('register-worker.mjs', home, 'shared', String(perWorker), model)),
    )
    const all = results.flat().sort((a, b) => a - b)
    expect(all).toEqual(Array.from({ length: 4 * perWorker }, (_, i) => i + 1))
    for (const r of results) expect(r).toEqual([...r].sort((a, b) => a - b)) // each sees its own increasing

    const registry = await LocalRegistry.open(loadConfig({ cwd: home, home, env: {} }))
    const page = await registry.searchModelVersions({ name: 'shared', limit: 1000 })
    expect(page.items).toHaveLength(4 * perWorker)
    expect(new Set(page.items.map((v) => v.tags.worker)).size).toBe(4)
    await registry.close()
  })

  it('an alias moved by one process is always seen whole by another: never missing, never in between', async () => {
    const home = tempDir()
    const model = path.join(home, 'm.onnx')
    writeFileSync(model, logisticModel({ features: ['x'], weights: [1] }))
    const registry = await LocalRegistry.open(loadConfig({ cwd: home, home, env: {} }))
    const artifact = await registry.storeArtifact(model)
    await registry.registerModelVersion({ name: 'm', artifact, flavor: 'onnx' })
    await registry.registerModelVersion({ name: 'm', artifact, flavor: 'onnx' })
    await registry.setAlias('m', 'champion', 1)
    await registry.close()
    const [moves, readsA, readsB] = await Promise.all([
      worker('alias-worker.mjs', home, 'm', 'move', '300'),
      worker('alias-worker.mjs', home, 'm', 'read', '600'),
      worker('alias-worker.mjs', home, 'm', 'read', '600'),
    ])
    expect(moves).toEqual([])
    for (const seen of [readsA, readsB]) {
      expect(seen.length).toBeGreaterThan(0)
      for (const v of seen) expect([1, 2]).toContain(v)
    }
  })
})
