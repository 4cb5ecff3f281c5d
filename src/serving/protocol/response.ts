import type { Signature } from '../../core/types.js'
import { encodeBinaryData } from './binary.js'
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
  let out = head(args)
  let first = true
  for (const [name, t] of outputsToWrite(args.outputs, args.signature, args.requested)) {
    out += `${first ? '' : ','}${tensorHead(name, t)},"data":[${jsonText(t)}]}`
    first = false
  }
  return `${out}]}`
}

/**
 * An infer response in the binary tensor data extension: the JSON, in which each output named in
 * `binary` has `parameters.binary_data_size` instead of `data`, then those outputs' data in the
 * order they are listed. `headerLength` is the JSON's length in bytes, for the
 * Inference-Header-Content-Length header.
 */
export function buildBinaryInferResponse(args: InferResponseArgs & { binary: ReadonlySet<string> }): {
  body: Buffer
  headerLength: number
} {
  let json = head(args)
  const data: Uint8Array[] = []
  let first = true
  for (const [name, t] of outputsToWrite(args.outputs, args.signature, args.requested)) {
    json += `${first ? '' : ','}${tensorHead(name, t)},`
    if (args.binary.has(name)) {
      const bytes = encodeBinaryData(t)
      data.push(bytes)
      json += `"parameters":{"binary_data_size":${bytes.length}}}`
    } else json += `"data":[${jsonText(t)}]}`
    first = false
  }
  const header = Buffer.from(`${json}]}`, 'utf8')
  return { body: Buffer.concat([header, ...data]), headerLength: header.length }
}

/** The response up to the opening of its `outputs` array. */
function head(args: InferResponseArgs): string {
  let out = `{"model_name":${JSON.stringify(args.modelName)},"model_version":${JSON.stringify(args.modelVersion)}`
  if (args.id !== null) out += `,"id":${JSON.stringify(args.id)}`
  if (args.parameters) out += `,"parameters":${stringifyJson(args.parameters)}`
  return `${out},"outputs":[`
}

/** An output object up to its data (left open). */
const tensorHead = (name: string, t: OutputTensor) =>
  `{"name":${JSON.stringify(name)},"shape":[${t.dims.join(',')}],"datatype":"${t.datatype}"`
