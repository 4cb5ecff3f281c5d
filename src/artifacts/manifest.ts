import path from 'node:path'
import { SluiceError } from '../core/errors.js'
import { type Digest, isDigest } from '../core/hash.js'
import type { ArtifactKind } from '../core/types.js'
import type { ArtifactStore, BlobSource } from './types.js'

export interface BlobReference {
  digest: string
  kind: ArtifactKind
}

/** A folder, stored as a blob listing its files (each a blob of its own). */
export interface Manifest {
  schema: 'sluice.manifest/v1'
  files: ManifestEntry[]
}

export interface ManifestEntry {
  /** POSIX path relative to the folder. */
  path: string
  digest: Digest
  size: number
  executable: boolean
}

const MAX_MANIFEST_BYTES = 64 << 20

/** Canonical bytes: entries sorted by path, keys in fixed order, so equal folders get equal digests. */
export function serializeManifest(files: ManifestEntry[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const entries = sorted.map((f) => ({
    path: f.path,
    digest: f.digest,
    size: f.size,
    executable: f.executable,
  }))
  return JSON.stringify({ schema: 'sluice.manifest/v1', files: entries })
}

/**
 * Rejects any path that could leave the folder it is restored into: absolute paths, `..` or `.`
 * segments, empty segments, backslashes, drive letters and NUL bytes.
 */
export function checkRelativePath(p: string): string {
  const bad =
    p.length === 0 ||
    p.length > 4096 ||
    p.includes('\0') ||
    p.includes('\\') ||
    p.startsWith('/') ||
    /^[A-Za-z]:/.test(p) ||
    p.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')
  if (bad) {
    throw new SluiceError(
      'INVALID_INPUT',
      `unsafe path "${p.slice(0, 200)}" in a folder manifest; paths must be relative, use "/" and contain no "." or ".." segments`,
    )
  }
  return p
}

export function parseManifest(text: string, digest: string): Manifest {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new SluiceError('INVALID_INPUT', `blob ${digest} is not a folder manifest (not JSON)`)
  }
  const m = doc as Partial<Manifest>
  if (m?.schema !== 'sluice.manifest/v1' || !Array.isArray(m.files)) {
    throw new SluiceError(
      'INVALID_INPUT',
      `blob ${digest} is not a folder manifest (no "schema":"sluice.manifest/v1")`,
    )
  }
  const seen = new Set<string>()
  for (const f of m.files) {
    checkRelativePath(String(f?.path))
    if (!isDigest(String(f.digest)) || !Number.isSafeInteger(f.size) || f.size < 0) {
      throw new SluiceError(
        'INVALID_INPUT',
        `folder manifest ${digest}: entry "${f.path}" has no valid digest and size`,
      )
    }
    if (seen.has(f.path))
      throw new SluiceError('INVALID_INPUT', `folder manifest ${digest}: "${f.path}" is listed twice`)
    seen.add(f.path)
  }
  // A file may not also be a folder of another entry ("a" and "a/b").
  for (const p of seen) {
    for (let dir = path.posix.dirname(p); dir !== '.'; dir = path.posix.dirname(dir)) {
      if (seen.has(dir))
        throw new SluiceError(
          'INVALID_INPUT',
          `folder manifest ${digest}: "${dir}" is both a file and a folder`,
        )
    }
  }
  return m as Manifest
}

export async function readManifest(source: BlobSource, digest: Digest): Promise<Manifest> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of await source.open(digest)) {
    size += (chunk as Buffer).length
    if (size > MAX_MANIFEST_BYTES)
      throw new SluiceError('INVALID_INPUT', `blob ${digest} is too large to be a folder manifest`)
    chunks.push(chunk as Buffer)
  }
  return parseManifest(Buffer.concat(chunks).toString('utf8'), digest)
}

/**
 * Every digest referenced, including the files of referenced folders (read from their manifests).
 * Manifests that cannot be read are listed in `unreadable`: their files cannot be accounted for.
 */
export async function expandReferences(
  store: ArtifactStore,
  refs: BlobReference[],
): Promise<{ digests: Set<string>; unreadable: { digest: string; reason: string }[] }> {
  const digests = new Set<string>()
  const unreadable: { digest: string; reason: string }[] = []
  for (const ref of refs) {
    digests.add(ref.digest)
    if (ref.kind !== 'dir' || !isDigest(ref.digest) || !(await store.stat(ref.digest))) continue
    try {
      for (const f of (await readManifest(store, ref.digest)).files) digests.add(f.digest)
    } catch (e) {
      unreadable.push({ digest: ref.digest, reason: (e as Error).message })
    }
  }
  return { digests, unreadable }
}
