import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logisticModel } from '../scripts/onnx-fixtures.mjs'
import { loadConfig } from '../src/core/config.js'
import { LocalRegistry } from '../src/registry/local.js'
import { deploy } from '../src/serving/deploy.js'
import { ModelCache } from '../src/serving/model-cache.js'
import { type Serving, startServing } from '../src/serving/server.js'
import { tempDir } from './support/cli.js'

let home: string
let registry: LocalRegistry
const logs: Record<string, unknown>[] = []
const servingDir = () => path.join(home, 'serving')
const copyOf = (digest: string) => path.join(servingDir(), digest.replace(':', '-'))
const model = (bias: number) => logisticModel({ features: ['x'], weights: [0.5], bias })

async function register(source: string) {
  return registry.registerModelVersion({
    name: 'm',
    artifact: await registry.storeArtifact(source),
    flavor: 'onnx',
  })
}

function flipBlobByte(digest: string) {
  const hex = digest.slice('sha256:'.length)
  const file = path.join(home, '.sluice', 'artifacts', 'sha256', hex.slice(0, 2), hex)
  chmodSync(file, 0o644)
  const bytes = readFileSync(file)
  bytes[bytes.length >> 1]! ^= 1
  writeFileSync(file, bytes)
}

beforeAll(async () => {
  home = tempDir('sluice-copies-')
  registry = await LocalRegistry.open(loadConfig({ cwd: home, env: {} }))
})
afterAll(() => registry.close())

describe("the model server's copies of models", () => {
  it('loads the bytes it checked: a folder whose file changed on disk is copied again first', async () => {
    const folder = path.join(home, 'folder-model')
    mkdirSync(folder)
    writeFileSync(path.join(folder, 'model.onnx'), model(0))
    writeFileSync(path.join(folder, 'README'), 'notes')
    const v = await register(folder)
    const first = new ModelCache(registry, servingDir(), { log: (e) => logs.push(e) })
    await first.load('m', v.version)
    await first.close()
    // Another valid model in the copy's place, and a file that is not part of it.
    writeFileSync(path.join(copyOf(v.artifact.digest), 'model.onnx'), model(3))
    const cache = new ModelCache(registry, servingDir(), { log: (e) => logs.push(e) })
    const loaded = await cache.load('m', v.version)
    expect(Buffer.from(loaded.onnx.bytes)).toEqual(Buffer.from(model(0)))
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'serving copy corrupt, fetching it again', model: `m@${v.version}` }),
    )
    expect(readFileSync(path.join(copyOf(v.artifact.digest), 'model.onnx'))).toEqual(Buffer.from(model(0)))
    await cache.close()
  })

  it('keeps serving the version it had when the new one is damaged in its copy and in the blob store', async () => {
    writeFileSync(path.join(home, 'v-good.onnx'), model(1))
    writeFileSync(path.join(home, 'v-bad.onnx'), model(2))
    const good = await register(path.join(home, 'v-good.onnx'))
    const bad = await register(path.join(home, 'v-bad.onnx'))
    await deploy(registry, `m@${good.version}`, 'copies')
    let serving: Serving | null = null
    try {
      serving = await startServing({ registry, dir: servingDir(), pollMs: 60_000, log: (e) => logs.push(e) })
      expect(serving.table.get('copies')?.current?.version).toBe(good.version)
      // A copy left by an earlier load, since damaged, and the blob behind it damaged too.
      writeFileSync(copyOf(bad.artifact.digest), model(5))
      flipBlobByte(bad.artifact.digest)
      // Recorded directly: `sluice deploy` would refuse it (it loads the model from the blob first).
      await registry.store.deployments.setDeployment({
        name: 'copies',
        model: 'm',
        version: bad.version,
        alias: null,
        batching: null,
        at: new Date().toISOString(),
      })
      await serving.table.refresh()
      const d = serving.table.get('copies')!
      expect(d.current?.version).toBe(good.version)
      expect(d.problem).toMatch(
        new RegExp(`m@${bad.version} could not be loaded: blob ${bad.artifact.digest} is corrupt`),
      )
      const answer = await serving.handle({
        kind: 'predict',
        deployment: 'copies',
        version: undefined,
        requestId: undefined,
        body: JSON.stringify({ instances: [{ x: 1 }] }),
      })
      expect([answer.status, answer.headers['x-model-version']]).toEqual([200, String(good.version)])
    } finally {
      await serving?.close()
    }
  })
})
