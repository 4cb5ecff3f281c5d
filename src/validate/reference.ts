import { existsSync } from 'node:fs'
import path from 'node:path'
import { SluiceError } from '../core/errors.js'
import type { Digest } from '../core/hash.js'
import type { Registry } from '../registry/types.js'

/** Runs `fn` with an open registry (and closes it); how a caller lends validate its registry. */
export type RegistryAccess = <T>(fn: (registry: Registry) => Promise<T>) => Promise<T>

/** A registered dataset version as written on the command line: `NAME@3` or `NAME@latest`. */
const DATASET_VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]*@(\d+|latest)$/

export interface ResolvedData {
  file: string
  /** `NAME@VERSION` (version resolved) when the data came from the registry. */
  dataset: string | null
  /** The registry's digest of a dataset version (a file is hashed by the caller). */
  digest: Digest | null
}

/**
 * A data argument as a local file: the path itself when it exists or does not look like
 * `NAME@VERSION`, else the registered dataset version, fetched (verified) into `dir`.
 */
export async function resolveData(
  arg: string,
  dir: string,
  withRegistry?: RegistryAccess,
): Promise<ResolvedData> {
  if (existsSync(arg) || !DATASET_VERSION.test(arg)) return { file: arg, dataset: null, digest: null }
  if (!withRegistry) {
    throw new SluiceError(
      'UNREADABLE_FILE',
      `${arg} is not a file, and no registry was given to look it up as a dataset version`,
    )
  }
  return withRegistry(async (r) => {
    const ds = await r.getDatasetVersion(arg)
    const file = path.join(dir, `${ds.name}-${ds.version}.${ds.format}`)
    await r.fetchArtifact({ digest: ds.digest, kind: 'file' }, file)
    return { file, dataset: `${ds.name}@${ds.version}`, digest: ds.digest }
  })
}
