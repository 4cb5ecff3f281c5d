import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { sha256Bytes } from '../../core/hash.js'
import { getToPath, localSink, putPath } from '../transfer.js'
import { FsArtifactStore } from './store.js'

const fresh = () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sluice-art-'))
  return { root, store: new FsArtifactStore(path.join(root, 'artifacts')) }
}
const read = async (s: FsArtifactStore, d: `sha256:${string}`) => {
  const chunks: Buffer[] = []
  for await (const c of await s.open(d)) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}
const blobFile = (root: string, digest: string) => {
  const hex = digest.slice(7)
  return path.join(root, 'artifacts', 'sha256', hex.slice(0, 2), hex)
}

describe('FsArtifactStore', () => {
  it('names blobs by the SHA-256 of their content and stores identical content once', async () => {
    const { root, store } = fresh()
    const a = await store.put([Buffer.from('hello '), Buffer.from('world')])
    expect(a).toEqual({ digest: sha256Bytes('hello world'), size: 11 })
    const b = await store.put([Buffer.from('hello world')])
    expect(b.digest).toBe(a.digest)
    expect(readdirSync(path.join(root, 'artifacts', 'sha256')).length).toBe(1)
    expect(readdirSync(path.join(root, 'artifacts', 'tmp'))).toEqual([])
    expect((await read(store, a.digest)).toString()).toBe('hello world')
  })

  it('fails reading a corrupt blob with an error naming its digest, never completing the stream', async () => {
    const { root, store } = fresh()
    const { digest } = await store.put([Buffer.alloc(3 << 20, 7)])
    const file = blobFile(root, digest)
    chmodSync(file, 0o644)
    const bytes = readFileSync(file)
    bytes[bytes.length - 1] = 8
    writeFileSync(file, bytes)
    await expect(read(store, digest)).rejects.toMatchObject({
      code: 'ARTIFACT_CORRUPT',
      message: expect.stringContaining(`blob ${digest} is corrupt`),
    })
    const report = await store.verify(new Set([digest]))
    expect(report.ok).toBe(false)
    expect(report.corrupt.map((c) => c.digest)).toEqual([digest])
  })

  it('refuses digests that are not sha256:<64 hex>, so nothing can reach outside the root', async () => {
    const { store } = fresh()
    for (const bad of [
      '../../etc/passwd',
      'sha256:../../../etc/passwd',
      `sha256:${'A'.repeat(64)}`,
      `sha256:${'0'.repeat(63)}/`,
    ]) {
      await expect(store.open(bad as `sha256:${string}`)).rejects.toMatchObject({ code: 'INVALID_REFERENCE' })
      await expect(store.stat(bad as `sha256:${string}`)).rejects.toMatchObject({ code: 'INVALID_REFERENCE' })
    }
    await expect(store.open(`sha256:${'0'.repeat(64)}`)).rejects.toMatchObject({ code: 'ARTIFACT_MISSING' })
  })

  it('stores a folder as a manifest and restores it byte for byte, keeping the executable bit', async () => {
    const { root, store } = fresh()
    const src = path.join(root, 'model')
    mkdirSync(path.join(src, 'sub', 'deep'), { recursive: true })
    writeFileSync(path.join(src, 'model.onnx'), 'weights')
    writeFileSync(path.join(src, 'sub', 'deep', 'vocab.txt'), 'a\nb\n')
    writeFileSync(path.join(src, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 })
    const ref = await putPath(localSink(store), src)
    expect(ref).toMatchObject({ kind: 'dir', size: 7 + 4 + 10 })
    expect((await putPath(localSink(store), src)).digest).toBe(ref.digest) // same folder, same digest
    const out = path.join(root, 'restored')
    await getToPath(store, ref, out)
    expect(readFileSync(path.join(out, 'sub', 'deep', 'vocab.txt'), 'utf8')).toBe('a\nb\n')
    expect(readFileSync(path.join(out, 'model.onnx'), 'utf8')).toBe('weights')
    expect(readdirSync(out).sort()).toEqual(['model.onnx', 'run.sh', 'sub'])
    await expect(getToPath(store, ref, out)).rejects.toMatchObject({ code: 'CONFLICT' })
  })

  it('restores nothing when a blob of a folder is corrupt', async () => {
    const { root, store } = fresh()
    const src = path.join(root, 'm')
    mkdirSync(src)
    writeFileSync(path.join(src, 'a.bin'), 'aaaa')
    const ref = await putPath(localSink(store), src)
    const file = blobFile(root, sha256Bytes('aaaa'))
    chmodSync(file, 0o644)
    writeFileSync(file, 'aaab')
    const out = path.join(root, 'out')
    await expect(getToPath(store, ref, out)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' })
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(root).filter((n) => n.includes('out'))).toEqual([])
  })

  it('collects unreferenced blobs older than the grace period and abandoned temp files; dry run first', async () => {
    const { root, store } = fresh()
    const keep = await store.put([Buffer.from('keep')])
    const drop = await store.put([Buffer.from('drop')])
    const young = await store.put([Buffer.from('young')])
    const old = new Date(Date.now() - 2 * 3600_000)
    utimesSync(blobFile(root, keep.digest), old, old)
    utimesSync(blobFile(root, drop.digest), old, old)
    // A temp file whose writer (a pid that cannot exist) is gone, and one of a live writer (us).
    writeFileSync(path.join(root, 'artifacts', 'tmp', `${os.hostname()}.999999999.abcd.part`), 'partial')
    writeFileSync(path.join(root, 'artifacts', 'tmp', `${os.hostname()}.${process.pid}.beef.part`), 'writing')

    const dry = await store.gc(new Set([keep.digest]), { apply: false, graceMs: 3600_000 })
    expect(dry.dry_run).toBe(true)
    expect(dry.blobs.map((b) => b.digest)).toEqual([drop.digest])
    expect(dry.temp_files.map((t) => t.name)).toEqual([`${os.hostname()}.999999999.abcd.part`])
    expect(existsSync(blobFile(root, drop.digest))).toBe(true)

    const done = await store.gc(new Set([keep.digest]), { apply: true, graceMs: 3600_000 })
    expect(done.bytes).toBe(4 + 7)
    expect(existsSync(blobFile(root, drop.digest))).toBe(false)
    expect(existsSync(blobFile(root, keep.digest))).toBe(true)
    expect(existsSync(blobFile(root, young.digest))).toBe(true)
    expect(readdirSync(path.join(root, 'artifacts', 'tmp'))).toEqual([
      `${os.hostname()}.${process.pid}.beef.part`,
    ])
  })

  it('verify reports referenced blobs that are missing', async () => {
    const { store } = fresh()
    const a = await store.put([Buffer.from('a')])
    const ghost = sha256Bytes('ghost')
    const report = await store.verify(new Set([a.digest, ghost]))
    expect(report).toMatchObject({ ok: false, checked: 1, missing: [ghost], corrupt: [] })
  })
})
