import { lstat, readdir, realpath } from 'node:fs/promises'
import path from 'node:path'
import { type ManifestEntry, serializeManifest } from '../artifacts/manifest.js'
import { SluiceError } from '../core/errors.js'
import { sha256Bytes, sha256File } from '../core/hash.js'
import type { ArtifactRef } from '../core/types.js'
import type { FileHashRecord, PipelineStore } from '../store/types.js'

/**
 * Digests of project files and folders. A file is read only when its size, modification time or
 * inode differ from when it was last hashed; a folder's digest is the digest of its manifest,
 * which is exactly the digest the artifact store gives the folder.
 */
export class FileHasher {
  private readonly fresh: FileHashRecord[] = []

  constructor(
    private readonly store: PipelineStore,
    private readonly root: string,
  ) {}

  /** The digest of a file or folder (relative to the project), or null when it does not exist. */
  async hash(rel: string): Promise<ArtifactRef | null> {
    const abs = path.join(this.root, rel)
    const s = await lstat(abs, { bigint: true }).catch(() => null)
    if (!s) return null
    if (s.isFile()) {
      const [one] = await this.files([abs])
      return { digest: one!.digest, size: one!.size, kind: 'file' }
    }
    if (s.isSymbolicLink()) {
      const target = await realpath(abs).catch(() => null)
      throw new SluiceError(
        'INVALID_INPUT',
        `${rel} is a symbolic link${target ? ` to ${path.relative(this.root, target) || target}` : ' to nothing'}; deps and outs must be regular files or folders (a link's target can change without the link changing): name the target instead`,
      )
    }
    if (!s.isDirectory()) {
      throw new SluiceError(
        'INVALID_INPUT',
        `${rel} is neither a file nor a folder; deps and outs are files or folders`,
      )
    }
    const rels = await listFiles(abs)
    const records = await this.files(rels.map((r) => path.join(abs, r)))
    const entries: ManifestEntry[] = await Promise.all(
      rels.map(async (r, i) => ({
        path: r,
        digest: records[i]!.digest,
        size: records[i]!.size,
        executable: ((await lstat(path.join(abs, r))).mode & 0o111) !== 0,
      })),
    )
    return {
      digest: sha256Bytes(serializeManifest(entries)),
      size: entries.reduce((n, e) => n + e.size, 0),
      kind: 'dir',
    }
  }

  /** Records a digest computed elsewhere (e.g. while storing an out), if the file is unchanged since. */
  async remember(rel: string, digest: FileHashRecord['digest']): Promise<void> {
    const abs = path.join(this.root, rel)
    const s = await lstat(abs, { bigint: true })
    this.fresh.push({
      path: abs,
      size: Number(s.size),
      mtime_ns: String(s.mtimeNs),
      inode: String(s.ino),
      digest,
    })
  }

  /** Saves the digests computed since the last flush, for the next run. */
  async flush(): Promise<void> {
    const batch = this.fresh.splice(0)
    await this.store.saveFileHashes(batch)
  }

  private async files(abs: string[]): Promise<FileHashRecord[]> {
    const known = await this.store.fileHashes(abs)
    const out: FileHashRecord[] = []
    // One file at a time: a folder of thousands of files must not open them all at once.
    for (const file of abs) {
      const s = await lstat(file, { bigint: true })
      const stat = { size: Number(s.size), mtime_ns: String(s.mtimeNs), inode: String(s.ino) }
      const k = known.get(file)
      if (k && k.size === stat.size && k.mtime_ns === stat.mtime_ns && k.inode === stat.inode) {
        out.push(k)
        continue
      }
      const { digest } = await sha256File(file)
      const record = { path: file, ...stat, digest }
      // A file written while it was read gets no record: it is hashed again next time.
      const after = await lstat(file, { bigint: true })
      if (String(after.mtimeNs) === stat.mtime_ns && Number(after.size) === stat.size) this.fresh.push(record)
      out.push(record)
    }
    return out
  }
}

/** Files under a folder as sorted POSIX relative paths; links and special files are refused. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), rel)))
    else if (e.isFile()) out.push(rel)
    else
      throw new SluiceError(
        'INVALID_INPUT',
        `${path.join(dir, e.name)} is a link or special file; pipeline folders may hold only regular files and folders`,
      )
  }
  return out
}
