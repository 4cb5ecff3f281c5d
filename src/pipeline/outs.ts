import { readFile, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { getToPath, localSink, putPath } from '../artifacts/transfer.js'
import type { ArtifactStore } from '../artifacts/types.js'
import { SluiceError } from '../core/errors.js'
import { nestsDeeperThan, tooDeep } from '../core/nesting.js'
import type { ArtifactRef } from '../core/types.js'
import type { FileHasher } from './hasher.js'

/**
 * Moving stage files between the work tree and the artifact store: outs are stored after a stage
 * ran and restored when it is skipped; deps are pinned so `sluice reproduce` can put them back.
 */
export class OutStore {
  constructor(
    private readonly artifacts: ArtifactStore,
    private readonly hasher: FileHasher,
    private readonly root: string,
  ) {}

  /** Stores a file or folder of the work tree; file digests are remembered for the next run. */
  async save(rel: string): Promise<ArtifactRef> {
    const ref = await putPath(localSink(this.artifacts), path.join(this.root, rel))
    if (ref.kind === 'file') await this.hasher.remember(rel, ref.digest)
    return ref
  }

  /** Stores a dep unless the store already holds its content; the dep must not change meanwhile. */
  async pin(rel: string, ref: ArtifactRef): Promise<void> {
    if (await this.artifacts.stat(ref.digest)) return
    const stored = await putPath(localSink(this.artifacts), path.join(this.root, rel))
    if (stored.digest !== ref.digest) {
      throw new SluiceError(
        'CONFLICT',
        `${rel} changed while the run was reading it; let whatever writes it finish, then run again`,
      )
    }
  }

  /** True when every blob of a cached result is still in the store (gc may have removed some). */
  async available(outs: Record<string, ArtifactRef>): Promise<boolean> {
    for (const ref of Object.values(outs)) if (!(await this.artifacts.stat(ref.digest))) return false
    return true
  }

  /** Puts cached outs back into the work tree where they are missing or differ. */
  async restore(outs: Record<string, ArtifactRef>): Promise<string[]> {
    const restored: string[] = []
    for (const [rel, ref] of Object.entries(outs)) {
      const current = await this.hasher.hash(rel)
      if (current?.digest === ref.digest) continue
      const abs = path.join(this.root, rel)
      await rm(abs, { recursive: true, force: true })
      await getToPath(this.artifacts, ref, abs)
      if (ref.kind === 'file') await this.hasher.remember(rel, ref.digest)
      restored.push(rel)
    }
    return restored
  }

  /** Removes a stage's outs before it runs, so an out it fails to write cannot pass for a new one. */
  async clear(rels: string[]): Promise<void> {
    for (const rel of rels) await rm(path.join(this.root, rel), { recursive: true, force: true })
  }

  async exists(rel: string): Promise<boolean> {
    return (await stat(path.join(this.root, rel)).catch(() => null)) !== null
  }

  /** Reads a metrics file; anything but JSON (or JSON nested too deep to store) is an error naming the file. */
  async metrics(rel: string): Promise<unknown> {
    const text = await readFile(path.join(this.root, rel), 'utf8')
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (e) {
      throw new SluiceError(
        'INVALID_INPUT',
        `metrics file ${rel} is not valid JSON (${(e as Error).message})`,
      )
    }
    if (nestsDeeperThan(value)) throw new SluiceError('INVALID_INPUT', tooDeep(`metrics file ${rel}`))
    return value
  }
}
