import type { Signature } from '../../core/types.js'
import { stringifyJson } from './json.js'
import { jsonValues, type OutputTensor, outputsToWrite } from './outputs.js'

export interface InferResponseArgs {
  modelName: string
  modelVersion: string
  /** The request's id, echoed; null leaves `id` out. */
  id: string | null
  outputs: Record<string, OutputTensor>
  /** The request's `outputs` names; null writes every model output. */
  requested: string[] | null
  signature: Signature
  parameters?: Record<string, unknown>
}

/**
 * The JSON text of an Open Inference Protocol v2 infer response. Data is flat (row-major); INT64
 * values are exact integer literals (never rounded through a double), FP32 values the shortest
 * decimal of the float32, NaN and ±Infinity null.
 */
export function buildInferResponse(args: InferResponseArgs): string {
  return stringifyJson({
    model_name: args.modelName,
    model_version: args.modelVersion,
    ...(args.id === null ? {} : { id: args.id }),
    ...(args.parameters ? { parameters: args.parameters } : {}),
    outputs: outputsToWrite(args.outputs, args.signature, args.requested).map(([name, t]) => ({
      name,
      shape: t.dims,
      datatype: t.datatype,
      data: jsonValues(t),
    })),
  })
}
