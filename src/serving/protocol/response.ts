import type { Signature } from '../../core/types.js'
import { stringifyJson } from './json.js'
import { jsonText, type OutputTensor, outputsToWrite } from './outputs.js'

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
  // Written by hand, not through a serialiser: this is on every request's path.
  let out = `{"model_name":${JSON.stringify(args.modelName)},"model_version":${JSON.stringify(args.modelVersion)}`
  if (args.id !== null) out += `,"id":${JSON.stringify(args.id)}`
  if (args.parameters) out += `,"parameters":${stringifyJson(args.parameters)}`
  out += ',"outputs":['
  let first = true
  for (const [name, t] of outputsToWrite(args.outputs, args.signature, args.requested)) {
    out += `${first ? '' : ','}{"name":${JSON.stringify(name)},"shape":[${t.dims.join(',')}],"datatype":"${t.datatype}","data":[${jsonText(t)}]}`
    first = false
  }
  return `${out}]}`
}
