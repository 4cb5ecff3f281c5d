import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { chmod, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fsync } from '../../core/atomic.js'
import { diskError } from '../../core/disk-full.js'
import { SluiceError } from '../../core/errors.js'
import { type Digest, digestOf, parseDigest } from '../../core/hash.js'
import { abandonedReason, writerTag } from '../../core/writer.js'
import type { ArtifactStore, BlobInfo, GcOptions, GcReport, VerifyReport } from '../types.js'
import { verifying } from '../verifying.js'

const CHUNK = 1 << 20
const TEMP_SUFFIX = '.part'

/**
 * Blobs live at `<root>/sha256/<first 2 hex>/<64 hex>`, read-only. Writes go to
 * `<root>/tmp/<host>.<pid>.<random>.part`, are fsynced, then renamed into place (and the folder
 * fsynced), so a crash at any moment leaves either no blob or a whole one.
 */
export class FsArtifactStore implements ArtifactStore {
  private readonly blobsDir: string
  private readonly tmpDir: string

  constructor(readonly root: string) {
    this.blobsDir = path.join(root, 'sha256')
    this.tmpDir = path.join(root, 'tmp')
  }

  /** The only way a digest becomes a path: parseDigest admits 64 hex digits and nothing else. */
  private blobPath(digest: string): string {
    const hex = parseDigest(digest).slice('sha256:'.length)
    return path.join(this.blobsDir, hex.slice(0, 2), hex)
  }

  async put(source: Readable | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<BlobInfo> {
    await mkdir(this.tmpDir, { recursive: true })
    const tmp = path.join(this.tmpDir, `${writerTag()}.${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`)
    const hash = createHash('sha256')
    let size = 0
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk)
        size += chunk.length
        done(null, chunk)
      },
    })
    try {
      const input = source instanceof Readable ? source : Readable.from(source)
      await pipeline(
        input,
        hashing,
        createWriteStream(tmp, { flags: 'wx', mode: 0o600, flush: true, highWaterMark: CHUNK }),
      )
    } catch (e) {
      await unlink(tmp).catch(() => {})
      throw diskError(e, `the artifact store ${this.root}`)
    }
    const digest = digestOf(hash.digest('hex'))
    const final = this.blobPath(digest)
    // The temp file hashed to `digest`, so it always takes the blob's place, even when a blob is
    // there already: a damaged blob is repaired by adding its bytes again, at the price of a
    // rename (hashing the stored copy to compare would cost a full read). The fresh file's time
    // also tells a running gc the blob was just written.
    await chmod(tmp, 0o444)
    await mkdir(path.dirname(final), { recursive: true })
    await rename(tmp, final)
    await fsync(path.dirname(final))
    return { digest, size }
  }

  async stat(digest: Digest): Promise<{ size: number } | null> {
    const s = await stat(this.blobPath(digest)).catch(() => null)
    return s?.isFile() ? { size: s.size } : null
  }

  async open(digest: Digest): Promise<Readable> {
    const file = this.blobPath(digest)
    const handle = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        throw new SluiceError(
          'ARTIFACT_MISSING',
          `blob ${digest} is not in the artifact store at ${this.root}`,
        )
      }
      throw e
    })
    return handle.createReadStream({ highWaterMark: CHUNK }).pipe(verifying(digest))
  }

  async gc(keep: Set<string>, options: GcOptions): Promise<GcReport> {
    const report: GcReport = {
      schema: 'sluice.artifacts-gc/v1',
      dry_run: !options.apply,
      blobs: [],
      temp_files: [],
      spool_files: [],
      bytes: 0,
      kept: 0,
    }
    const cutoff = Date.now() - options.graceMs
    for await (const blob of this.blobs()) {
      if (keep.has(blob.digest) || blob.mtimeMs > cutoff) {
        report.kept++
        continue
      }
      report.blobs.push({ digest: blob.digest, size: blob.size })
      report.bytes += blob.size
      if (options.apply) await unlink(blob.file)
    }
    for (const temp of await this.temps()) {
      const reason = abandonedReason(/^(.*)\.[0-9a-f]+\.part$/.exec(temp.name)?.[1] ?? null, temp.mtimeMs)
      if (!reason) continue
      report.temp_files.push({ name: temp.name, size: temp.size, reason })
      report.bytes += temp.size
      if (options.apply) await unlink(path.join(this.tmpDir, temp.name)).catch(() => {})
    }
    return report
  }

  async verify(referenced: Set<string>): Promise<VerifyReport> {
    const report: VerifyReport = {
      schema: 'sluice.artifacts-verify/v1',
      ok: true,
      checked: 0,
      bytes: 0,
      corrupt: [],
      missing: [],
      temp_files: 0,
      serving_copies: { checked: 0, corrupt: [] },
    }
    const present = new Set<string>()
    for await (const blob of this.blobs()) {
      present.add(blob.digest)
      report.checked++
      report.bytes += blob.size
      try {
        for await (const _ of await this.open(blob.digest)) {
          // reading is the check
        }
      } catch (e) {
        report.corrupt.push({ digest: blob.digest, reason: (e as Error).message })
      }
    }
    report.missing = [...referenced].filter((d) => !present.has(d)).sort()
    report.temp_files = (await this.temps()).length
    report.ok = report.corrupt.length === 0 && report.missing.length === 0
    return report
  }

  private async *blobs(): AsyncGenerator<{ digest: Digest; file: string; size: number; mtimeMs: number }> {
    for (const prefix of (await readdir(this.blobsDir).catch(() => [])).sort()) {
      const dir = path.join(this.blobsDir, prefix)
      for (const name of (await readdir(dir).catch(() => [])).sort()) {
        if (!/^[0-9a-f]{64}$/.test(name) || !name.startsWith(prefix)) continue
        const file = path.join(dir, name)
        const s = await stat(file).catch(() => null)
        if (s?.isFile()) yield { digest: digestOf(name), file, size: s.size, mtimeMs: s.mtimeMs }
      }
    }
  }

  private async temps(): Promise<{ name: string; size: number; mtimeMs: number }[]> {
    const out = []
    for (const name of await readdir(this.tmpDir).catch(() => [])) {
      if (!name.endsWith(TEMP_SUFFIX)) continue
      const s = await stat(path.join(this.tmpDir, name)).catch(() => null)
      if (s?.isFile()) out.push({ name, size: s.size, mtimeMs: s.mtimeMs })
    }
    return out
  }
}
