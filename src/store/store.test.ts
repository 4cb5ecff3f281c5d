import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { sha256Bytes } from '../core/hash.js'
import { openSqliteStore } from './sqlite/open.js'
import type { NewModelVersion, Store } from './types.js'

const stores: Store[] = []
afterEach(async () => {
  while (stores.length) await stores.pop()!.close()
})
async function open(): Promise<Store> {
  const s = await openSqliteStore(
    path.join(mkdtempSync(path.join(os.tmpdir(), 'sluice-store-')), 'sluice.db'),
  )
  stores.push(s)
  return s
}

const version = (name: string, extra: Partial<NewModelVersion> = {}): NewModelVersion => ({
  name,
  artifact: { digest: sha256Bytes(name), size: 10, kind: 'file' },
  flavor: 'onnx',
  signature: null,
  metrics: {},
  params: {},
  tags: {},
  description: null,
  datasets: [],
  run_id: null,
  code: null,
  environment: null,
  parent_version: null,
  created_at: new Date().toISOString(),
  ...extra,
})

describe('SQLite store', () => {
  it('numbers versions 1, 2, 3 per model and keeps what was registered', async () => {
    const s = await open()
    const a1 = await s.createModelVersion(
      version('a', { metrics: { auc: 0.8 }, params: { depth: 3, algo: 'gbdt' }, tags: { team: 'x' } }),
    )
    const a2 = await s.createModelVersion(version('a'))
    const b1 = await s.createModelVersion(version('b'))
    expect([a1.version, a2.version, b1.version]).toEqual([1, 2, 1])
    expect(a1).toMatchObject({
      status: 'candidate',
      metrics: { auc: 0.8 },
      params: { depth: 3, algo: 'gbdt' },
      tags: { team: 'x' },
      aliases: [],
    })
    expect(await s.getModelVersion('a', 2)).toMatchObject({ name: 'a', version: 2 })
    expect(await s.getModelVersion('a', 3)).toBeNull()
  })

  it('keeps a copied version number above the taken ones, and numbers on from it', async () => {
    const s = await open()
    await s.createModelVersion(version('m'))
    expect((await s.createModelVersion(version('m', { version: 7 }))).version).toBe(7)
    expect((await s.createModelVersion(version('m'))).version).toBe(8)
    await expect(s.createModelVersion(version('m', { version: 8 }))).rejects.toThrow(
      /versions up to 8 are taken/,
    )
    expect((await s.createModelVersion(version('fresh', { version: 4 }))).version).toBe(4)
  })

  it('moves an alias in one step and reports where it pointed before', async () => {
    const s = await open()
    await s.createModelVersion(version('m'))
    await s.createModelVersion(version('m'))
    expect(await s.setAlias('m', 'champion', 1)).toEqual({ previous: null })
    expect(await s.setAlias('m', 'champion', 2)).toEqual({ previous: 1 })
    expect(await s.resolveAlias('m', 'champion')).toBe(2)
    expect((await s.getModelVersion('m', 2))!.aliases).toEqual(['champion'])
    expect((await s.getModelVersion('m', 1))!.aliases).toEqual([])
    expect(await s.deleteAlias('m', 'champion')).toBe(2)
    expect(await s.resolveAlias('m', 'champion')).toBeNull()
    expect(await s.deleteAlias('m', 'champion')).toBeNull()
  })

  it('latest skips archived and rejected versions', async () => {
    const s = await open()
    for (let i = 0; i < 3; i++) await s.createModelVersion(version('m'))
    await s.setStatus('m', 3, 'rejected', 'worse than champion')
    await s.setStatus('m', 2, 'archived', null)
    expect(await s.latestVersion('m')).toBe(1)
    expect(await s.getModelVersion('m', 3)).toMatchObject({
      status: 'rejected',
      status_reason: 'worse than champion',
    })
  })

  it('searches by prefix, tag, alias, status and metric conditions, newest first, in pages', async () => {
    const s = await open()
    for (let i = 1; i <= 12; i++) {
      await s.createModelVersion(
        version(i % 2 ? 'churn-eu' : 'churn-us', {
          metrics: { accuracy: i / 12, log_loss: 1 - i / 12 },
          tags: { team: i % 3 ? 'a' : 'b' },
        }),
      )
    }
    await s.createModelVersion(version('churnx'))
    await s.createModelVersion(version('fraud'))
    await s.setAlias('churn-eu', 'champion', 3)
    await s.setStatus('churn-us', 1, 'archived', null)

    const names = async (f: Parameters<Store['searchModelVersions']>[0]) =>
      (await s.searchModelVersions(f, { limit: 100 })).items.map((v) => `${v.name}@${v.version}`)

    expect(await names({ namePrefix: 'churn-' })).toHaveLength(12)
    expect(await names({ namePrefix: 'churn' })).toHaveLength(13)
    expect(await names({ namePrefix: 'churn-eu', tags: { team: 'b' } })).toEqual(['churn-eu@5', 'churn-eu@2'])
    expect(await names({ alias: 'champion' })).toEqual(['churn-eu@3'])
    expect(await names({ statuses: ['archived'] })).toEqual(['churn-us@1'])
    expect(
      await names({
        metrics: [
          { key: 'accuracy', op: '>', value: 0.7 },
          { key: 'log_loss', op: '<=', value: 0.2 },
        ],
      }),
    ).toEqual(['churn-us@6', 'churn-eu@6', 'churn-us@5'])

    const first = await s.searchModelVersions({ namePrefix: 'churn' }, { limit: 5 })
    const second = await s.searchModelVersions({ namePrefix: 'churn' }, { limit: 5, after: first.next! })
    const third = await s.searchModelVersions({ namePrefix: 'churn' }, { limit: 5, after: second.next! })
    const all = [...first.items, ...second.items, ...third.items].map((v) => `${v.name}@${v.version}`)
    expect(new Set(all).size).toBe(13)
    expect(third.next).toBeNull()
    await expect(s.searchModelVersions({}, { limit: 5, after: 'garbage' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
  })

  it('adds dataset versions, returning the existing one for identical content', async () => {
    const s = await open()
    const base = {
      name: 'flights',
      size: 5,
      format: 'csv' as const,
      rows: 2,
      columns: [],
      source: 'f.csv',
      created_at: new Date().toISOString(),
    }
    const a = await s.addDatasetVersion({ ...base, digest: sha256Bytes('1') })
    const b = await s.addDatasetVersion({ ...base, digest: sha256Bytes('2') })
    const again = await s.addDatasetVersion({ ...base, digest: sha256Bytes('1') })
    expect([a.record.version, b.record.version, again.record.version]).toEqual([1, 2, 1])
    expect([a.created, again.created]).toEqual([true, false])
    expect((await s.getDatasetVersion('flights', 'latest'))!.version).toBe(2)
    expect(await s.listDatasets()).toMatchObject([{ name: 'flights', versions: 2 }])

    const v = await s.createModelVersion(
      version('m', { datasets: [{ name: 'flights', version: 1, role: 'train' }] }),
    )
    expect(v.lineage.datasets).toEqual([
      { name: 'flights', version: 1, digest: sha256Bytes('1'), role: 'train' },
    ])
    await expect(
      s.createModelVersion(version('m', { datasets: [{ name: 'flights', version: 9, role: 'train' }] })),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    })
    // The failed registration left no trace: the next version is 2, not 3.
    expect((await s.createModelVersion(version('m'))).version).toBe(2)

    const refs = (await s.blobReferences()).map((r) => r.digest).sort()
    expect(refs).toEqual([sha256Bytes('1'), sha256Bytes('2'), sha256Bytes('m')].sort())
  })
})
