import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { isSluiceError, SluiceError } from '../core/errors.js'
import type { Signature } from '../core/types.js'
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

/**
 * Loads registered versions (artifact fetched into the serving folder, verified) and unloads them
 * when no deployment holds them and no request runs on them, so a swap never pulls a model out from under a running request.
 */
/** Versions whose session was released (a version is unloaded once, whoever asks). */
const unloaded = new WeakSet<LoadedVersion>()

export class ModelCache {
  private readonly loaded = new Map<string, Promise<LoadedVersion>>()

  constructor(
    private readonly registry: Registry,
    private readonly dir: string,
    /** `kernel: false` runs every model in onnxruntime (see modelRunner). */
    private readonly options: { kernel?: boolean } = {},
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
    const doc = await this.registry.getModelVersion(`${model}@${version}`)
    const dest = path.join(this.dir, doc.artifact.digest.replace(':', '-'))
    if (!existsSync(dest)) {
      await this.registry.fetchArtifact(doc.artifact, dest).catch((e) => {
        // Another process (or request) fetched it first: the content is the same.
        if (!isSluiceError(e, 'CONFLICT')) throw e
      })
    }
    const file = doc.artifact.kind === 'file' ? dest : await onnxIn(dest, `${model}@${version}`)
    const onnx = await OnnxModel.load(file, `${model}@${version}`)
    const { run, cost, engine } = await modelRunner(onnx, this.options)
    return { model, version, onnx, signature: onnx.signature, run, cost, engine, inFlight: 0, holders: 0 }
  }
}

async function onnxIn(dir: string, ref: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.onnx'))
  const chosen = names.includes('model.onnx') ? 'model.onnx' : names.length === 1 ? names[0] : undefined
  if (!chosen)
    throw new SluiceError('INVALID_INPUT', `${ref} is a folder without model.onnx (or a single .onnx file)`)
  return path.join(dir, chosen)
}
