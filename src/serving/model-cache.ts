import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { copyName, setAside } from '../artifacts/copies.js'
import { digestOfPath } from '../artifacts/local-digest.js'
import { isSluiceError, SluiceError } from '../core/errors.js'
import { sha256Bytes } from '../core/hash.js'
import type { ArtifactRef, Signature } from '../core/types.js'
import { OnnxModel } from '../models/runtime.js'
import type { Registry } from '../registry/types.js'
import { type ModelRunner, modelRunner, type RunModel } from './infer.js'

/** One registered version, loaded and ready to answer. */
export interface LoadedVersion {
  model: string
  version: number
  onnx: OnnxModel
  signature: Signature
  /** Runs it: on this thread, or on worker threads when calls take longer than about a millisecond. */
  run: RunModel
  cost: ModelRunner['cost']
  engine: ModelRunner['engine']
  /** Requests running on it now. */
  inFlight: number
  /** Deployments (or rollout arms) it answers for; it is unloaded when both counts are 0. */
  holders: number
}

/** Versions whose session was released (a version is unloaded once, whoever asks). */
const unloaded = new WeakSet<LoadedVersion>()

/**
 * Loads registered versions and unloads them when no deployment holds them and no request runs on
 * them, so a swap never pulls a model out from under a running request. Each version's artifact
 * is copied once into the serving folder (`<dir>/sha256-<hex>`), and that copy is checked against
 * the artifact's digest every time it is loaded: a damaged copy is replaced from the artifact
 * store, never run.
 */

export class ModelCache {
  private readonly loaded = new Map<string, Promise<LoadedVersion>>()

  constructor(
    private readonly registry: Registry,
    private readonly dir: string,
    private readonly options: {
      /** false runs every model in onnxruntime (see modelRunner). */
      kernel?: boolean
      /** Where a damaged serving copy is reported. */
      log?: (entry: Record<string, unknown>) => void
    } = {},
  ) {}

  /** The loaded version (loading it once, however many ask at the same time). */
  load(model: string, version: number): Promise<LoadedVersion> {
    const key = `${model}@${version}`
    let p = this.loaded.get(key)
    if (!p) {
      p = this.loadNow(model, version)
      this.loaded.set(key, p)
      p.catch(() => this.loaded.delete(key))
    }
    return p
  }

  /**
   * Loads a version and holds it in one step: a version another deployment drops between the load
   * and a separate hold would be unloaded under the new holder. Release it with `drop`.
   */
  async loadHeld(model: string, version: number): Promise<LoadedVersion> {
    for (;;) {
      const v = await this.load(model, version)
      if (!unloaded.has(v)) {
        v.holders++
        return v
      }
    }
  }

  acquire(v: LoadedVersion): () => void {
    v.inFlight++
    let released = false
    return () => {
      if (released) return
      released = true
      v.inFlight--
      this.unloadIfUnused(v)
    }
  }

  /** A deployment stops answering with it: unloaded now if idle, else when its last request ends. */
  drop(v: LoadedVersion): void {
    v.holders--
    this.unloadIfUnused(v)
  }

  private unloadIfUnused(v: LoadedVersion): void {
    if (v.holders <= 0 && v.inFlight === 0) this.unload(v).catch(() => {}) // a release that fails leaves nothing to undo
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled(this.loaded.values())
    this.loaded.clear()
    for (const r of all) if (r.status === 'fulfilled') await r.value.onnx.close()
  }

  private async unload(v: LoadedVersion): Promise<void> {
    if (unloaded.has(v)) return
    unloaded.add(v)
    const key = `${v.model}@${v.version}`
    const current = await this.loaded.get(key)?.catch(() => undefined)
    if (current === v) this.loaded.delete(key)
    await v.onnx.close()
  }

  private async loadNow(model: string, version: number): Promise<LoadedVersion> {
    const label = `${model}@${version}`
    const doc = await this.registry.getModelVersion(label)
    const source = await this.intactCopy(doc.artifact, label)
    const onnx = await OnnxModel.load(source, label)
    const { run, cost, engine } = await modelRunner(onnx, this.options)
    return { model, version, onnx, signature: onnx.signature, run, cost, engine, inFlight: 0, holders: 0 }
  }

  /**
   * The model to load from the serving copy of `artifact`, once the copy matched its digest: a
   * file's bytes (hashed here and loaded from memory, so what was checked is what runs), or the
   * path of a folder's ONNX file. A copy that does not match is reported, set aside and fetched
   * again from the artifact store, which verifies every blob: a blob damaged there too fails the
   * load with ARTIFACT_CORRUPT (and a deployment keeps the version it had).
   */
  private async intactCopy(artifact: ArtifactRef, label: string): Promise<Uint8Array | string> {
    const dest = path.join(this.dir, copyName(artifact.digest))
    for (let fetched = false; ; ) {
      if (!existsSync(dest)) {
        await this.registry.fetchArtifact(artifact, dest).catch((e) => {
          // Another process (or request) fetched it first: the content is the same.
          if (!isSluiceError(e, 'CONFLICT')) throw e
        })
        fetched = true
      }
      const copy = await hashCopy(dest, artifact.kind)
      if (copy.digest === artifact.digest) return copy.bytes ?? (await onnxIn(dest, label))
      if (fetched)
        throw new SluiceError(
          'ARTIFACT_CORRUPT',
          `the serving copy of ${label} at ${dest} does not match ${artifact.digest} (it is ${copy.digest}) right after it was fetched; check the disk, then run \`sluice artifacts verify\``,
        )
      this.options.log?.({
        level: 'warn',
        msg: 'serving copy corrupt, fetching it again',
        model: label,
        path: dest,
        expected: artifact.digest,
        found: copy.digest,
      })
      await setAside(dest)
    }
  }
}

/** A serving copy's digest (or why it could not be read), with a file's bytes. */
async function hashCopy(
  dest: string,
  kind: ArtifactRef['kind'],
): Promise<{ digest: string; bytes?: Uint8Array }> {
  try {
    if (kind === 'dir') return { digest: await digestOfPath(dest, 'dir') }
    const bytes = await readFile(dest)
    return { digest: sha256Bytes(bytes), bytes }
  } catch (e) {
    return { digest: `unreadable (${(e as Error).message})` }
  }
}

async function onnxIn(dir: string, ref: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.onnx'))
  const chosen = names.includes('model.onnx') ? 'model.onnx' : names.length === 1 ? names[0] : undefined
  if (!chosen)
    throw new SluiceError('INVALID_INPUT', `${ref} is a folder without model.onnx (or a single .onnx file)`)
  return path.join(dir, chosen)
}
