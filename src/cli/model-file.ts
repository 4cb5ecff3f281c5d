import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { SluiceError } from '../core/errors.js'
import { type GlobalOptions, withRegistry } from './context.js'

export interface ModelFile {
  file: string
  name: string
  version: number | null
  cleanup(): Promise<void>
}

/**
 * The ONNX file behind `NAME@REF` (fetched from the registry into a temporary folder, verified)
 * or behind a local path. A folder artifact must hold model.onnx or exactly one .onnx file.
 */
export async function modelFile(ref: string, opts: GlobalOptions): Promise<ModelFile> {
  if (existsSync(ref)) return { file: ref, name: path.basename(ref), version: null, cleanup: async () => {} }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-model-'))
  try {
    const v = await withRegistry(opts, async (r) => {
      const doc = await r.getModelVersion(ref)
      await r.fetchArtifact(doc.artifact, path.join(dir, 'artifact'))
      return doc
    })
    let file = path.join(dir, 'artifact')
    if (v.artifact.kind === 'dir') {
      const names = (await readdir(file)).filter((n) => n.endsWith('.onnx'))
      const chosen = names.includes('model.onnx') ? 'model.onnx' : names.length === 1 ? names[0] : undefined
      if (!chosen)
        throw new SluiceError(
          'INVALID_INPUT',
          `${ref} is a folder without model.onnx (or a single .onnx file)`,
        )
      file = path.join(file, chosen)
    }
    return {
      file,
      name: v.name,
      version: v.version,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true })
    throw e
  }
}
