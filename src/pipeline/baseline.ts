import { isSluiceError } from '../core/errors.js'
import { parseModelRef } from '../registry/refs.js'
import type { Store } from '../store/types.js'
import type { BaselineKey } from './key.js'

/** What `against` is when the baseline is the candidate model itself. */
export const THE_CANDIDATE = 'the candidate'

/**
 * A gate's baseline as it stands now, for its cache key: the artifact digest of the version
 * `against` points at — or THE_CANDIDATE when that is the candidate model itself — or why there
 * is none (the gate then passes its relative rules with a note, or fails on a bad reference).
 */
export async function resolveBaseline(
  store: Store,
  b: { ref: string; candidate: string | null },
  candidateDigest: string | null,
): Promise<BaselineKey> {
  const against = await baselineDigest(store, b.ref)
  return {
    ref: b.ref,
    against: candidateDigest !== null && against === candidateDigest ? THE_CANDIDATE : against,
    candidate: candidateDigest,
  }
}

async function baselineDigest(store: Store, ref: string): Promise<string> {
  let name: string
  let version: number | null
  try {
    const parsed = parseModelRef(ref)
    name = parsed.name
    const sel = parsed.selector
    version =
      sel.kind === 'number'
        ? sel.version
        : sel.kind === 'latest'
          ? await store.latestVersion(name)
          : await store.resolveAlias(name, sel.alias)
  } catch (e) {
    if (isSluiceError(e)) return `invalid: ${e.message}`
    throw e
  }
  const record = version === null ? null : await store.getModelVersion(name, version)
  if (record) return record.artifact.digest
  return (await store.modelExists(name)) ? `none: ${ref} does not resolve` : `none: no model "${name}"`
}
