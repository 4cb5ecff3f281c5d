import { compileKernel, type Kernel } from './onnx/kernel.js'
import type { OnnxModel, OutputData, PlainTensor } from './runtime.js'

export type { Kernel }

/** Numbers every probe row draws from: ordinary values, extremes, a subnormal, NaN and the infinities. */
const NUMBERS = [
  0,
  1,
  -1,
  0.5,
  -2.75,
  17,
  1234.5,
  -1e4,
  3.4e38,
  -3.4e38,
  1e-40,
  Number.NaN,
  Infinity,
  -Infinity,
]

/**
 * The model's JavaScript kernel, when its graph compiles to one and the kernel gives onnxruntime's
 * outputs on probe rows (every category the graph names, an unknown one, the empty string, and
 * numbers from zero to ±3.4e38, NaN and ±inf): the same names, types, shapes and labels, and
 * numbers within 1e-5 of the larger magnitude (onnxruntime itself differs from one optimisation
 * level to another in the last float32 digits). Otherwise the reason, and onnxruntime runs it.
 */
export async function checkedKernel(onnx: OnnxModel): Promise<{ kernel: Kernel } | { unsupported: string }> {
  const compiled = compileKernel(onnx.bytes)
  if (!('kernel' in compiled)) return compiled
  const strings = [...compiled.strings, '', 'unseen \u0000 value']
  const rows = Math.min(Math.max(NUMBERS.length * 2, strings.length), 1024)
  const feeds: Record<string, PlainTensor> = {}
  for (const [i, spec] of onnx.signature.inputs.entries()) {
    const shape = spec.shape.map((d, k) => (k === 0 && d < 0 ? rows : d))
    if (shape[0] !== rows || shape.slice(1).some((d) => d !== 1))
      return { unsupported: `input "${spec.name}" is not one value per row` }
    // Each input walks its list at its own stride, so rows mix values differently across inputs.
    const pick = <T>(list: T[], r: number) => list[(r * (i + 1) + i) % list.length]!
    if (spec.datatype === 'FP32')
      feeds[spec.name] = {
        type: 'float32',
        dims: shape,
        data: Float32Array.from({ length: rows }, (_, r) => pick(NUMBERS, r)),
      }
    else if (spec.datatype === 'BYTES')
      feeds[spec.name] = {
        type: 'string',
        dims: shape,
        data: Array.from({ length: rows }, (_, r) => pick(strings, r)),
      }
    else
      return {
        unsupported: `input "${spec.name}" is ${spec.datatype}; the kernel is checked on FP32 and BYTES inputs`,
      }
  }
  let ours: Record<string, PlainTensor>
  try {
    ours = compiled.kernel(feeds)
  } catch (e) {
    return { unsupported: `the kernel failed on probe rows: ${(e as Error).message}` }
  }
  const problem = disagreement(ours, await onnx.runTensors(feeds))
  return problem ? { unsupported: problem } : { kernel: compiled.kernel }
}

/**
 * How the kernel's outputs differ from onnxruntime's, or null when they agree: every output there
 * with the same type and shape, equal labels, numbers equal to 1e-5 of the larger magnitude.
 */
export function disagreement(
  ours: Record<string, PlainTensor>,
  reference: Record<string, PlainTensor>,
): string | null {
  for (const [name, want] of Object.entries(reference)) {
    const got = ours[name]
    const problem = !got
      ? 'missing'
      : got.type !== want.type || got.dims.join() !== want.dims.join()
        ? `${got.type} [${got.dims}] where onnxruntime gives ${want.type} [${want.dims}]`
        : firstDifference(got.data, want.data)
    if (problem) return `output "${name}" disagrees with onnxruntime: ${problem}`
  }
  return null
}

function firstDifference(got: OutputData, want: OutputData): string | null {
  for (let i = 0; i < want.length; i++) {
    const a = got[i]
    const b = want[i]
    const same =
      typeof a === 'number' && typeof b === 'number'
        ? (Number.isNaN(a) && Number.isNaN(b)) ||
          a === b ||
          Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a), Math.abs(b))
        : a === b
    if (!same) return `element ${i} is ${String(a)} where onnxruntime gives ${String(b)}`
  }
  return null
}
