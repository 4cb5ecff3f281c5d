import { readFile } from 'node:fs/promises'
import onnxProto from 'onnx-proto'
import { SluiceError } from '../core/errors.js'
import type { Signature, TensorDatatype, TensorSpec } from '../core/types.js'

const { onnx } = onnxProto
type ValueInfo = NonNullable<NonNullable<ReturnType<typeof onnx.ModelProto.decode>['graph']>['input']>[number]

/** ONNX TensorProto.DataType → Open Inference Protocol datatype. */
const DATATYPES: Record<number, TensorDatatype> = {
  1: 'FP32',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'BYTES',
  9: 'BOOL',
  10: 'FP16',
  11: 'FP64',
  12: 'UINT32',
  13: 'UINT64',
}

/**
 * Reads an ONNX file's graph inputs and outputs (initializers excluded) as a signature. Symbolic
 * and unknown dimensions become -1. A file that is not an ONNX model is refused with the reason.
 */
export async function readOnnxSignature(file: string): Promise<Signature> {
  const bytes = await readFile(file)
  let model: ReturnType<typeof onnx.ModelProto.decode>
  try {
    model = onnx.ModelProto.decode(bytes)
  } catch (e) {
    throw notOnnx(file, `it does not decode as an ONNX ModelProto (${(e as Error).message})`)
  }
  const graph = model.graph
  if (!graph || !model.irVersion || model.opsetImport.length === 0) {
    throw notOnnx(file, 'it has no graph, IR version or opset')
  }
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name))
  const spec = (v: ValueInfo): TensorSpec => {
    const tensor = v.type?.tensorType
    if (!tensor) {
      throw notOnnx(
        file,
        `graph value "${v.name}" is not a tensor (sequences and maps are not supported as model inputs or outputs)`,
      )
    }
    const datatype = DATATYPES[tensor.elemType ?? 0]
    if (!datatype)
      throw notOnnx(file, `graph value "${v.name}" has an unsupported element type ${tensor.elemType}`)
    const shape = (tensor.shape?.dim ?? []).map((d: { dimValue?: unknown }) =>
      d.dimValue != null && Number(d.dimValue) > 0 ? Number(d.dimValue) : -1,
    )
    return { name: v.name ?? '', datatype, shape }
  }
  return {
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(spec),
    outputs: (graph.output ?? []).map(spec),
  }
}

function notOnnx(file: string, why: string): SluiceError {
  return new SluiceError('INVALID_INPUT', `${file} is not a usable ONNX model: ${why}`)
}
