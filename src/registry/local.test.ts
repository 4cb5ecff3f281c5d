import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { logisticModel } from '../../scripts/onnx-fixtures.mjs'
import { loadConfig } from '../core/config.js'
import { LocalRegistry } from './local.js'

const open: LocalRegistry[] = []
afterEach(async () => {
  while (open.length) await open.pop()!.close()
})

async function setup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-reg-'))
  const registry = await LocalRegistry.open(loadConfig({ cwd: dir, env: {} }))
  open.push(registry)
  const model = path.join(dir, 'model.onnx')
  writeFileSync(model, logisticModel({ features: ['distance', 'hour'], weights: [0.001, 0.05], bias: -1 }))
  const data = path.join(dir, 'train.csv')
  writeFileSync(
    data,
    'distance,hour,delayed\n100,7.5,0\n2000,18,1\n450,9,0\n300,6,0\n1200,21,1\n800,13,0\n950,17,1\n',
  )
  return { dir, registry, model, data }
}

describe('LocalRegistry', () => {
  it('registers versions with lineage, resolves references, and writes a model card', async () => {
    const { registry, model, data } = await setup()
    const ds = await registry.addDataset('flights', data)
    expect(ds).toMatchObject({ version: 1, rows: 7, created: true, format: 'csv' })
    expect(ds.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'distance:numerical',
      'hour:numerical',
      'delayed:categorical',
    ])
    expect(await registry.addDataset('flights', data)).toMatchObject({ version: 1, created: false })

    const artifact = await registry.storeArtifact(model)
    const v1 = await registry.registerModelVersion({
      name: 'delay',
      artifact,
      flavor: 'onnx',
      metrics: { roc_auc: 0.71 },
      params: { C: 1 },
      datasets: [{ ref: 'flights@1', role: 'train' }],
      description: 'first try',
    })
    const v2 = await registry.registerModelVersion({
      name: 'delay',
      artifact,
      flavor: 'onnx',
      parent_version: 1,
    })
    expect([v1.version, v2.version]).toEqual([1, 2])
    expect(v1).toMatchObject({
      schema: 'sluice.model-version/v1',
      artifact: { digest: artifact.digest, size: artifact.size, kind: 'file' },
    })

    await registry.setAlias('delay', 'champion', 1)
    expect((await registry.getModelVersion('delay@champion')).version).toBe(1)
    expect((await registry.getModelVersion('delay@latest')).version).toBe(2)

    const card = await registry.modelCard('delay@champion')
    expect(card).toContain('# delay — version 1')
    expect(card).toContain('**Aliases:** `champion`')
    expect(card).toContain('| roc_auc | 0.71 |')
    expect(card).toContain(`- Trained on: \`flights@1\` — \`${ds.digest}\`, 7 rows × 3 columns (csv)`)
    expect(card).toContain('| distance | numerical | int | 0 |')
  })

  it('says precisely what was not found', async () => {
    const { registry, model } = await setup()
    await expect(registry.getModelVersion('nope@1')).rejects.toThrow(/model "nope" not found/)
    const artifact = await registry.storeArtifact(model)
    await registry.registerModelVersion({ name: 'm', artifact, flavor: 'onnx' })
    await expect(registry.getModelVersion('m@7')).rejects.toThrow(/model "m" has no version 7/)
    await expect(registry.getModelVersion('m@prod')).rejects.toThrow(/model "m" has no alias "prod"/)
    await expect(registry.setAlias('m', 'champion', 4)).rejects.toThrow(/has no version 4/)
    await expect(registry.deleteAlias('m', 'champion')).rejects.toThrow(/has no alias "champion"/)
    await expect(
      registry.registerModelVersion({
        name: 'm',
        artifact,
        flavor: 'onnx',
        datasets: [{ ref: 'ghost@1', role: 'train' }],
      }),
    ).rejects.toThrow(/dataset "ghost" not found/)
    await expect(registry.registerModelVersion({ name: 'm', artifact, flavor: 'pickle' })).rejects.toThrow(
      /unknown flavor "pickle"/,
    )
    await expect(
      registry.registerModelVersion({
        name: 'm',
        artifact: { digest: `sha256:${'1'.repeat(64)}`, kind: 'file' },
        flavor: 'onnx',
      }),
    ).rejects.toMatchObject({ code: 'ARTIFACT_MISSING' })
    // None of the refused registrations took a version number.
    expect((await registry.registerModelVersion({ name: 'm', artifact, flavor: 'onnx' })).version).toBe(2)
  })

  it('archives, rejects with a reason, and refuses to archive a version holding an alias', async () => {
    const { registry, model } = await setup()
    const artifact = await registry.storeArtifact(model)
    await registry.registerModelVersion({ name: 'm', artifact, flavor: 'onnx' })
    await registry.registerModelVersion({ name: 'm', artifact, flavor: 'onnx' })
    await registry.setAlias('m', 'champion', 1)
    await expect(registry.setModelStatus('m@1', 'archived', null)).rejects.toThrow(/holds alias champion/)
    await expect(registry.setModelStatus('m@2', 'rejected', null)).rejects.toThrow(/needs a reason/)
    expect(await registry.setModelStatus('m@2', 'rejected', 'p99 latency doubled')).toMatchObject({
      status: 'rejected',
      status_reason: 'p99 latency doubled',
    })
    await expect(registry.getModelVersion('m@latest')).resolves.toMatchObject({ version: 1 })
  })

  it('gc keeps every referenced blob, including the files of a referenced folder', async () => {
    const { dir, registry, model } = await setup()
    const folder = path.join(dir, 'bundle')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(folder)
    writeFileSync(path.join(folder, 'model.onnx'), logisticModel({ features: ['x'], weights: [1] }))
    writeFileSync(path.join(folder, 'notes.txt'), 'bundle notes')
    const dirRef = await registry.storeArtifact(folder)
    await registry.registerModelVersion({ name: 'b', artifact: dirRef, flavor: 'onnx' })
    const orphan = await registry.storeArtifact(model)
    const report = await registry.gcArtifacts({ apply: true, graceMs: 0 })
    expect(report.blobs.map((b) => b.digest)).toEqual([orphan.digest])
    expect((await registry.verifyArtifacts()).ok).toBe(true)
  })
})
