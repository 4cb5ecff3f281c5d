import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sha256File } from '../core/hash.js'
import type { Frame } from '../data/frame.js'
import { loadFrames } from '../data/load.js'
import { checkContract } from './checks.js'
import { type Contract, readContract } from './contract.js'
import { computeDrift } from './drift.js'
import { type RegistryAccess, resolveData } from './reference.js'
import type { CheckResult, DataSource, ValidationDoc } from './types.js'

/**
 * Checks a frame against a contract; with a reference, the drift check compares the frame with it.
 *
 * ```ts
 * const results = await validateFrame(frame, parseContract(yamlText, 'contract.yaml'), { reference })
 * const failed = results.filter((r) => !r.passed)
 * ```
 */
export async function validateFrame(
  frame: Frame,
  contract: Contract,
  options: { reference?: Frame; now?: Date } = {},
): Promise<CheckResult[]> {
  const drift = options.reference
    ? await computeDrift(options.reference, frame, contract.dataset?.drift)
    : undefined
  return checkContract(frame, contract, { now: options.now ?? new Date(), ...(drift && { drift }) })
}

export interface ValidateDataOptions {
  /** The data file to check (CSV, TSV, JSONL, Parquet). */
  data: string
  /** The contract's YAML file. */
  contract: string
  /** A reference data file, or a registered dataset version `NAME@VERSION` (needs `withRegistry`). */
  reference?: string
  withRegistry?: RegistryAccess
  /** The time freshness is measured against (default: now). */
  now?: Date
  /** Progress notes for a terminal. */
  onProgress?: (message: string) => void
}

/** Reads the contract and the data (and the reference), runs the checks and returns the `sluice.validation/v1` document. */
export async function validateData(o: ValidateDataOptions): Promise<ValidationDoc> {
  // The contract first: a mistake in it should not wait for a large file to load.
  const contract = await readContract(o.contract)
  const now = o.now ?? new Date()
  const temp = o.reference ? await mkdtemp(path.join(os.tmpdir(), 'sluice-validate-')) : null
  try {
    const ref = o.reference && temp ? await resolveData(o.reference, temp, o.withRegistry) : null
    o.onProgress?.(`reading ${[o.data, o.reference].filter(Boolean).join(' and ')}…`)
    // Hashing runs while the files load; a file that cannot be read is reported by the loader.
    const hashes = Promise.all([
      sha256File(o.data).then((h) => h.digest),
      ref ? (ref.digest ?? sha256File(ref.file).then((h) => h.digest)) : null,
    ])
    hashes.catch(() => {})
    const [data, reference] = await loadFrames(ref ? [o.data, ref.file] : [o.data])
    const [dataDigest, refDigest] = await hashes
    const checks = await validateFrame(data!.frame, contract, {
      ...(reference && { reference: reference.frame }),
      now,
    })
    const failed = checks.filter((c) => !c.passed).length
    const source: DataSource | null =
      ref && reference && refDigest
        ? {
            path: ref.dataset ? null : ref.file,
            dataset: ref.dataset,
            fingerprint: refDigest,
            rows: reference.frame.rows,
          }
        : null
    return {
      schema: 'sluice.validation/v1',
      data: { path: o.data, fingerprint: dataDigest, rows: data!.frame.rows },
      contract: o.contract,
      reference: source,
      checked_at: now.toISOString(),
      passed: failed === 0,
      summary: {
        checks: checks.length,
        failed,
        skipped: checks.filter((c) => c.skipped !== undefined).length,
      },
      checks,
    }
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true })
  }
}
