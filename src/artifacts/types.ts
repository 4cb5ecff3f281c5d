import type { Readable } from 'node:stream'
import type { Digest } from '../core/hash.js'

export interface BlobInfo {
  digest: Digest
  size: number
}

/** Anything blobs can be read from: the store itself, or a server over HTTP. */
export interface BlobSource {
  /**
   * Streams a blob. The stream fails with ARTIFACT_CORRUPT (naming the digest) instead of ending
   * normally when the bytes do not hash to the digest; its last chunk is held back until checked.
   */
  open(digest: Digest): Promise<Readable>
}

/**
 * A content-addressed blob store. Blobs are immutable and named by the SHA-256 of their bytes;
 * identical content is stored once. Implementations: `fs/` (default).
 */
export interface ArtifactStore extends BlobSource {
  /** Stores the bytes of a stream. Nothing is visible under the digest until all bytes are durable. */
  put(source: Readable | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<BlobInfo>
  /** The blob's size, or null when it is not stored. */
  stat(digest: Digest): Promise<{ size: number } | null>
  /** Deletes blobs not in `keep` and leftovers of interrupted writes. Dry run unless `apply`. */
  gc(keep: Set<string>, options: GcOptions): Promise<GcReport>
  /** Re-hashes every stored blob, and checks that everything in `referenced` is stored. */
  verify(referenced: Set<string>): Promise<VerifyReport>
}

export interface GcOptions {
  apply: boolean
  /** Blobs written more recently than this are kept: a writer may be about to reference them. */
  graceMs: number
}

export interface GcReport {
  schema: 'sluice.artifacts-gc/v1'
  dry_run: boolean
  blobs: { digest: Digest; size: number }[]
  temp_files: { name: string; size: number; reason: string }[]
  /** Request bodies a server spooled (`<home>/tmp/upload-*`) and left behind when it stopped. */
  spool_files: { name: string; size: number; reason: string }[]
  bytes: number
  kept: number
}

export interface VerifyReport {
  schema: 'sluice.artifacts-verify/v1'
  ok: boolean
  checked: number
  bytes: number
  corrupt: { digest: string; reason: string }[]
  missing: string[]
  /** Leftovers of interrupted writes: never visible as blobs; `sluice artifacts gc` removes them. */
  temp_files: number
  /** The model server's copies of the artifacts it loads (`<home>/serving`), re-hashed too. */
  serving_copies: { checked: number; corrupt: CopyProblem[] }
}

/** A restored copy of an artifact whose bytes no longer hash to its digest. */
export interface CopyProblem {
  path: string
  digest: string
  reason: string
  /** Replaced by a fresh copy from the artifact store (`verify --repair`). */
  repaired: boolean
}
