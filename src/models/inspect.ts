import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { SluiceError } from '../core/errors.js'
import { checkRegular } from '../core/regular.js'
import type { Signature } from '../core/types.js'

/**
 * Checks that an artifact is a model of the given flavor and reads its signature. A folder
 * artifact of flavor `onnx` must hold `model.onnx` or exactly one `.onnx` file at its top level.
 */
export async function inspectModel(artifactPath: string, flavor: string): Promise<{ signature: Signature }> {
  if (flavor !== 'onnx')
    throw new SluiceError('INVALID_INPUT', `unknown flavor "${flavor}"; supported flavors: onnx`)
  const s = await checkRegular(artifactPath, 'file-or-folder')
  let file = artifactPath
  if (s.isDirectory()) {
    const names = (await readdir(artifactPath)).filter((n) => n.endsWith('.onnx'))
    const chosen = names.includes('model.onnx') ? 'model.onnx' : names.length === 1 ? names[0] : undefined
    if (!chosen) {
      throw new SluiceError(
        'INVALID_INPUT',
        `folder ${artifactPath} must hold model.onnx or exactly one .onnx file (found ${names.length})`,
      )
    }
    file = path.join(artifactPath, chosen)
  }
  // Loading the model in onnxruntime both checks that it runs and gives its signature.
  const { OnnxModel } = await import('./runtime.js')
  const model = await OnnxModel.load(file)
  await model.close()
  return { signature: model.signature }
}
