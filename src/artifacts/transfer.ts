import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { SluiceError } from '../core/errors.js'
import type { Digest } from '../core/hash.js'
import { checkRegular } from '../core/regular.js'
import type { ArtifactRef } from '../core/types.js'
import { checkRelativePath, type ManifestEntry, readManifest, serializeManifest } from './manifest.js'
import type { ArtifactStore, BlobInfo, BlobSource } from './types.js'

/** Where putPath sends bytes: the local store, or a server over HTTP. */
export interface ArtifactSink {
  putBlob(source: Readable): Promise<BlobInfo>
  /** Records a folder whose files were all put already. */
  putFolder(files: ManifestEntry[]): Promise<ArtifactRef>
}

export function localSink(store: ArtifactStore): ArtifactSink {
  return {
    putBlob: (source) => store.put(source),
    async putFolder(files) {
      const { digest } = await store.put([Buffer.from(serializeManifest(files))])
      return { digest, size: files.reduce((n, f) => n + f.size, 0), kind: 'dir' }
    },
  }
}

/** Stores a file, or a folder as a manifest of its files. `size` of a folder is the sum of its files. */
export async function putPath(sink: ArtifactSink, source: string): Promise<ArtifactRef> {
  // A link given here is followed (inside a folder, links are refused: they could point anywhere).
  const s = await checkRegular(source, 'file-or-folder')
  if (s.isFile())
    return { ...(await sink.putBlob(createReadStream(source, { highWaterMark: 1 << 20 }))), kind: 'file' }
  const entries: ManifestEntry[] = []
  for (const rel of await listFiles(source)) {
    const file = path.join(source, ...rel.split('/'))
    const mode = (await lstat(file)).mode
    const blob = await sink.putBlob(createReadStream(file, { highWaterMark: 1 << 20 }))
    entries.push({ path: rel, digest: blob.digest, size: blob.size, executable: (mode & 0o111) !== 0 })
  }
  return sink.putFolder(entries)
}

/** Files under `dir`, as sorted POSIX relative paths. Symbolic links are refused: they could point anywhere. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)))
    else if (entry.isFile()) out.push(rel)
    else {
      throw new SluiceError(
        'UNREADABLE_FILE',
        `${path.join(dir, entry.name)} is a link or special file; artifact folders may hold only regular files and folders`,
      )
    }
  }
  return out
}

/**
 * Writes a stored artifact to `dest` (which must not exist yet). Bytes go to a temporary name
 * beside `dest` and are renamed into place only once every blob verified, so `dest` is either
 * absent or complete and correct.
 */
export async function getToPath(
  store: BlobSource,
  artifact: Pick<ArtifactRef, 'digest' | 'kind'>,
  dest: string,
) {
  if (await lstat(dest).catch(() => null)) {
    throw new SluiceError('CONFLICT', `${dest} already exists; choose another destination or remove it first`)
  }
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(6).toString('hex')}.part`)
  await mkdir(path.dirname(dest), { recursive: true })
  try {
    if (artifact.kind === 'file') await writeBlob(store, artifact.digest, tmp)
    else {
      const manifest = await readManifest(store, artifact.digest)
      await mkdir(tmp)
      for (const f of manifest.files) {
        const target = path.resolve(tmp, ...checkRelativePath(f.path).split('/'))
        if (!target.startsWith(tmp + path.sep))
          throw new SluiceError('INVALID_INPUT', `unsafe path "${f.path}" in manifest`)
        await mkdir(path.dirname(target), { recursive: true })
        await writeBlob(store, f.digest, target, f.executable ? 0o755 : 0o644)
      }
    }
    await rename(tmp, dest)
  } catch (e) {
    await rm(tmp, { recursive: true, force: true })
    throw e
  }
}

async function writeBlob(store: BlobSource, digest: Digest, file: string, mode = 0o644): Promise<void> {
  await pipeline(
    await store.open(digest),
    createWriteStream(file, { flags: 'wx', mode, flush: true, highWaterMark: 1 << 20 }),
  )
}
