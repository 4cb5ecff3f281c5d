import { lstat } from 'node:fs/promises'
import path from 'node:path'
import { type Digest, sha256Bytes, sha256File } from '../core/hash.js'
import type { ArtifactKind } from '../core/types.js'
import { type ManifestEntry, serializeManifest } from './manifest.js'
import { listFiles } from './transfer.js'

/**
 * The digest a file or folder on disk would be stored under — a file's SHA-256, a folder's
 * manifest digest — computed from its bytes without storing anything. A copy restored from the
 * store (`getToPath`) is intact exactly when this equals the artifact's digest.
 */
export async function digestOfPath(p: string, kind: ArtifactKind): Promise<Digest> {
  if (kind === 'file') return (await sha256File(p)).digest
  const entries: ManifestEntry[] = []
  for (const rel of await listFiles(p)) {
    const file = path.join(p, ...rel.split('/'))
    const { digest, size } = await sha256File(file)
    entries.push({ path: rel, digest, size, executable: ((await lstat(file)).mode & 0o111) !== 0 })
  }
  return sha256Bytes(serializeManifest(entries))
}
