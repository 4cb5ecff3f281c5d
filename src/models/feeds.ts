import ort from 'onnxruntime-node'
import { SluiceError } from '../core/errors.js'
import type { Signature, TensorSpec } from '../core/types.js'
import type { Column, Frame } from '../data/frame.js'

/** A model input and the frame column that feeds it. */
export interface Binding {
  input: TensorSpec
  col: Column
}

/**
 * Pairs each model input with the frame column of the same name. A missing column, or an input
 * that is not one value per row, is an error naming the input, what it expects and what there is.
 */
export function bindColumns(signature: Signature, frame: Frame): Binding[] {
  return signature.inputs.map((input) => {
    const col = frame.columns.find((c) => c.name === input.name)
    if (!col) {
      throw new SluiceError(
        'INVALID_INPUT',
        `model input "${input.name}" (${describe(input)}) has no column in the data; its columns are ${frame.columns.map((c) => c.name).join(', ')}`,
      )
    }
    checkShape(input)
    return { input, col }
  })
}

/** The feeds for rows [start, end): each input converted from its column to the input's type. */
export function feedsFor(bindings: Binding[], start: number, end: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {}
  for (const { input, col } of bindings) feeds[input.name] = toTensor(input, col, start, end)
  return feeds
}

export const describe = (t: TensorSpec) =>
  `${t.datatype} [${t.shape.map((d) => (d < 0 ? 'N' : d)).join(', ')}]`

/** Tabular inputs: [N], or [N, 1]. */
function checkShape(input: TensorSpec): void {
  const rest = input.shape.slice(1)
  if (input.shape.length === 0 || rest.length > 1 || (rest.length === 1 && rest[0] !== 1 && rest[0] !== -1)) {
    throw new SluiceError(
      'INVALID_INPUT',
      `model input "${input.name}" has shape [${input.shape.join(', ')}]; predicting over a table needs one value per row ([N] or [N, 1])`,
    )
  }
}

function toTensor(input: TensorSpec, col: Column, start: number, end: number): ort.Tensor {
  const n = end - start
  const dims = input.shape.length === 2 ? [n, 1] : [n]
  const bad = (what: string) =>
    new SluiceError(
      'INVALID_INPUT',
      `model input "${input.name}" expects ${describe(input)}, but column "${col.name}" ${what}`,
    )
  switch (input.datatype) {
    case 'FP32':
    case 'FP64': {
      if (col.kind !== 'number') throw bad(`holds ${col.dtype} values`)
      const out = input.datatype === 'FP32' ? new Float32Array(n) : new Float64Array(n)
      for (let i = 0; i < n; i++) out[i] = col.missing[start + i] ? Number.NaN : col.values[start + i]!
      return new ort.Tensor(input.datatype === 'FP32' ? 'float32' : 'float64', out, dims)
    }
    case 'INT64':
    case 'INT32': {
      if (col.kind !== 'number') throw bad(`holds ${col.dtype} values`)
      const out = input.datatype === 'INT64' ? new BigInt64Array(n) : new Int32Array(n)
      for (let i = 0; i < n; i++) {
        const v = col.values[start + i]!
        if (col.missing[start + i])
          throw bad(`has a missing value in row ${start + i + 1} (integers have no missing value)`)
        if (!Number.isInteger(v)) throw bad(`holds ${v} in row ${start + i + 1}, which is not an integer`)
        if (out instanceof BigInt64Array) out[i] = BigInt(v)
        else out[i] = v
      }
      return new ort.Tensor(input.datatype === 'INT64' ? 'int64' : 'int32', out, dims)
    }
    case 'BYTES': {
      const out = new Array<string>(n)
      for (let i = 0; i < n; i++) {
        const r = start + i
        out[i] = col.missing[r]
          ? ''
          : col.kind === 'category'
            ? col.dictionary[col.codes[r]!]!
            : col.kind === 'number'
              ? String(col.values[r])
              : new Date(col.values[r]!).toISOString()
      }
      return new ort.Tensor('string', out, dims)
    }
    case 'BOOL': {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i++) {
        const r = start + i
        out[i] =
          col.kind === 'category'
            ? col.dictionary[col.codes[r]!] === 'true'
              ? 1
              : 0
            : col.kind === 'number' && col.values[r]
              ? 1
              : 0
      }
      return new ort.Tensor('bool', out, dims)
    }
    default:
      throw bad(`cannot be converted: sluice does not feed ${input.datatype} inputs from tables`)
  }
}
