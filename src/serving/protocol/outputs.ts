import type { Signature, TensorDatatype } from '../../core/types.js'
import { ProtocolError } from './errors.js'

/**
 * A model output, flat and row-major. `data` is whatever the runtime gives for the datatype
 * (onnxruntime: Float32Array, BigInt64Array, string[], …), read element by element.
 */
export interface OutputTensor {
  datatype: TensorDatatype
  dims: number[]
  data: ArrayLike<unknown>
}

/**
 * The outputs to write, in order: the requested ones, or every model output in the signature's
 * order. One the model did not produce is the server's fault (500).
 */
export function outputsToWrite(
  outputs: Record<string, OutputTensor>,
  signature: Signature,
  requested: string[] | null,
): [string, OutputTensor][] {
  return (requested ?? signature.outputs.map((s) => s.name)).map((name) => {
    const tensor = outputs[name]
    if (!tensor) throw new ProtocolError(500, `the model gave no output "${name}"`)
    return [name, tensor]
  })
}

/**
 * An output's elements as JSON-ready values: FP32 as the double that prints as the shortest decimal
 * reading back as the same float32, FP64 as is, NaN and ±Infinity as null (JSON has neither), BOOL
 * as booleans, BYTES as strings, integers as numbers — except 64-bit ones beyond ±2^53, which stay
 * bigints: JSON.stringify refuses them, stringifyJson writes them exactly.
 */
export function jsonValues(tensor: OutputTensor): unknown[] {
  return Array.from(tensor.data, writerFor(tensor.datatype))
}

/** An output's elements as JSON text, comma-separated (the inside of its `data` array). */
export function jsonText(tensor: OutputTensor): string {
  const write = writerFor(tensor.datatype)
  const data = tensor.data
  let out = ''
  for (let i = 0; i < data.length; i++) {
    const v = write(data[i])
    const text = v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : String(v)
    out += i === 0 ? text : `,${text}`
  }
  return out
}

function writerFor(datatype: TensorDatatype): (v: unknown) => unknown {
  switch (datatype) {
    case 'FP32':
      return (v) => shortestFloat32(v as number)
    case 'FP64':
      return (v) => (Number.isFinite(v) ? v : null)
    case 'INT64':
    case 'UINT64':
      return (v) => (typeof v === 'bigint' && v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v)
    case 'BOOL':
      return Boolean
    case 'FP16':
      // onnxruntime gives FP16 as raw bits; no sluice model outputs FP16.
      throw new ProtocolError(500, 'the model gives an FP16 output, which sluice does not serve')
    default:
      return (v) => v
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const MIN_NORMAL_FLOAT32 = 2 ** -126

/**
 * The double nearest to the shortest decimal (at most 9 significant digits) that rounds back to
 * the float32 `v`: it prints as `0.1` where the float's exact value prints as 0.10000000149011612.
 */
export function shortestFloat32(v: number): number | null {
  if (!Number.isFinite(v)) return null
  // For normal floats six digits is where to start: float32 steps are finer than 6-digit decimals,
  // so at most one 6-digit decimal rounds to v, and a shorter one that does is that same decimal
  // (0.5 = 0.500000). Subnormals have fewer significant bits: those start from one digit.
  for (let digits = Math.abs(v) < MIN_NORMAL_FLOAT32 ? 1 : 6; digits < 9; digits++) {
    const d = Number(v.toPrecision(digits))
    if (Math.fround(d) === v) return d
  }
  return Number(v.toPrecision(9))
}
