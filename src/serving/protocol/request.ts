import { type Signature, TENSOR_DATATYPES, type TensorDatatype, type TensorSpec } from '../../core/types.js'
import { binarySize, decodeBinaryData } from './binary.js'
import {
  convertData,
  describe,
  describeAll,
  dimsFor,
  feedType,
  type InputTensor,
  isDatatype,
  jsonInteger,
} from './datatypes.js'
import { badRequest, ProtocolError } from './errors.js'
import { isObject, parseJson, toPlain } from './json.js'

export type { InputTensor }

/** An Open Inference Protocol v2 infer request, validated against a model's signature. */
export interface InferRequest {
  /** The request's `id`, any string; null when absent or empty. */
  id: string | null
  /** Every model input, converted to its datatype and shaped as the model declares it. */
  inputs: Record<string, InputTensor>
  /** Rows in the batch (N, the same for every input). */
  rows: number
  /** The outputs the client asked for, in its order; null = all of the model's outputs. */
  outputs: string[] | null
  /** The outputs to answer as binary tensor data (empty: the whole answer is JSON). */
  binaryOutputs: ReadonlySet<string>
  parameters: Record<string, unknown>
}

export interface RequestOptions {
  /** Refuse any input whose declared datatype is not the model's (`serving.strict_datatypes`). */
  strictDatatypes?: boolean
  /**
   * The binary tensor data after the JSON, for a body sent with Inference-Header-Content-Length;
   * absent for a body that is all JSON.
   */
  binary?: Uint8Array
}

/** A request input as sent, before it meets the model. */
interface SentInput {
  name: string
  shape: number[]
  datatype: TensorDatatype
  /** The type its values are read as: the declared one, but FP32 for binary FP16 (exact). */
  valuesAs: TensorDatatype
  data: unknown[]
}

const NONE: ReadonlySet<string> = new Set()
const ALL_AS_JSON = { names: null, binary: NONE }

/** Most dimensions a request's shape may have (tabular inputs have one or two). */
const MAX_RANK = 16

/**
 * Parses and validates the JSON of `POST /v2/models/{name}/infer` (and, with `options.binary`, the
 * binary tensor data after it). Every problem is a ProtocolError (400) whose message names the
 * input, element or field at fault; a model input the codec cannot feed is a 500.
 */
export function parseInferRequest(
  bodyText: string,
  signature: Signature,
  options: RequestOptions = {},
): InferRequest {
  const body = parseJson(bodyText)
  if (!isObject(body)) throw badRequest('the request body must be a JSON object with "inputs"')
  if (body.id !== undefined && typeof body.id !== 'string') throw badRequest('"id" must be a string')
  // Any string is an id (the answer echoes it in its body); an empty one is none, as an empty
  // x-request-id header is.
  const id = (body.id as string | undefined) || null
  try {
    return { id, ...readRequest(body, signature, options) }
  } catch (e) {
    // A request refused after its id was read is answered under that id.
    if (id !== null && e instanceof ProtocolError) e.requestId = id
    throw e
  }
}

/** An infer request's inputs, rows, requested outputs and parameters, checked against the signature. */
function readRequest(
  body: Record<string, unknown>,
  signature: Signature,
  options: RequestOptions,
): Omit<InferRequest, 'id'> {
  if (body.parameters !== undefined && !isObject(body.parameters)) {
    throw badRequest('"parameters" must be an object')
  }
  const sent = readInputs(body.inputs, signature, options.binary)
  const inputs: Record<string, InputTensor> = {}
  let rows: number | null = null
  for (const spec of signature.inputs) {
    const input = sent.get(spec.name)!
    const target = feedType(spec)
    if (options.strictDatatypes && input.datatype !== target) {
      throw badRequest(
        `input "${spec.name}": the request declares ${input.datatype}, but the model's input is ${target}; serving.strict_datatypes refuses any difference, so send ${target} data`,
      )
    }
    const n = rowsOf(input, spec)
    if (rows !== null && n !== rows) {
      const first = signature.inputs[0]!.name
      throw badRequest(
        `input "${spec.name}" has ${n} rows, but input "${first}" has ${rows}; every input needs the same number of rows`,
      )
    }
    rows = n
    inputs[spec.name] = {
      datatype: target,
      dims: dimsFor(spec, n),
      data: convertData(spec.name, input.valuesAs, target, input.data),
    }
  }
  const outputs = readOutputs(body.outputs, signature, body.parameters)
  return {
    inputs,
    rows: rows!,
    outputs: outputs.names,
    binaryOutputs: outputs.binary,
    parameters: toPlain(body.parameters ?? {}, '"parameters"') as Record<string, unknown>,
  }
}

/**
 * The sent inputs by name: each well-formed, known to the model, given once, none missing. Inputs
 * with `binary_data_size` take their data from `binary` in the order they are listed, and the
 * sizes must account for every byte of it.
 */
function readInputs(value: unknown, signature: Signature, binary?: Uint8Array): Map<string, SentInput> {
  if (!Array.isArray(value) || value.length === 0) throw badRequest('"inputs" must be a non-empty array')
  const sent = new Map<string, SentInput>()
  const tail = binary && { bytes: binary, at: 0 }
  value.forEach((raw, i) => {
    const input = readInput(raw, i, tail)
    if (!signature.inputs.some((s) => s.name === input.name)) {
      throw badRequest(
        `unknown input "${input.name}"; the model's inputs are ${describeAll(signature.inputs)}`,
      )
    }
    if (sent.has(input.name)) throw badRequest(`input "${input.name}" is given more than once`)
    sent.set(input.name, input)
  })
  if (tail && tail.at !== tail.bytes.length) {
    throw badRequest(
      `the body has ${tail.bytes.length} bytes of binary data after the JSON, but the inputs' binary_data_size add up to ${tail.at}`,
    )
  }
  const missing = signature.inputs.filter((s) => !sent.has(s.name))
  if (missing.length > 0) {
    const names = missing.map((s) => `"${s.name}"`).join(', ')
    throw badRequest(
      `missing input${missing.length > 1 ? 's' : ''} ${names}; the model's inputs are ${describeAll(signature.inputs)}`,
    )
  }
  return sent
}

/** Binary tensor data after the JSON, and how far the inputs read so far have taken it. */
interface Tail {
  bytes: Uint8Array
  at: number
}

function readInput(raw: unknown, i: number, tail: Tail | undefined): SentInput {
  if (!isObject(raw))
    throw badRequest(`inputs[${i}] must be an object with "name", "shape", "datatype" and "data"`)
  if (typeof raw.name !== 'string') throw badRequest(`inputs[${i}]: "name" must be a string`)
  const where = `input "${raw.name}"`
  const shape = Array.isArray(raw.shape) ? raw.shape.map(dimension) : null
  if (shape === null || shape.some((d) => d === null)) {
    throw badRequest(`${where}: "shape" must be an array of non-negative integers`)
  }
  if (!isDatatype(raw.datatype)) {
    throw badRequest(
      `${where}: datatype ${JSON.stringify(raw.datatype ?? null)} is not an Open Inference Protocol datatype (${TENSOR_DATATYPES.join(', ')})`,
    )
  }
  const dims = shape as number[]
  if (dims.length > MAX_RANK) {
    throw badRequest(`${where}: "shape" has ${dims.length} dimensions; at most ${MAX_RANK} are read`)
  }
  const expected = dims.reduce((a, b) => a * b, 1)
  const size = binaryDataSize(raw.parameters, where)
  if (size !== null) {
    if (raw.data !== undefined)
      throw badRequest(`${where}: give either "data" or parameters.binary_data_size, not both`)
    return { name: raw.name, shape: dims, ...readBinary(where, raw.datatype, dims, expected, size, tail) }
  }
  if (!Array.isArray(raw.data))
    throw badRequest(`${where}: "data" must be an array (flat or nested, row-major)`)
  // Nested data is row-major, so flattening it gives the same order as flat data.
  const data = flatten(raw.data, dims, where)
  if (expected !== data.length) {
    throw badRequest(
      `${where}: shape [${dims.join(', ')}] holds ${expected} element${expected === 1 ? '' : 's'}, but "data" has ${data.length}`,
    )
  }
  return { name: raw.name, shape: dims, datatype: raw.datatype, valuesAs: raw.datatype, data }
}

/** An input's `parameters.binary_data_size`: null when not given; a whole number of bytes otherwise. */
function binaryDataSize(parameters: unknown, where: string): number | null {
  if (parameters === undefined) return null
  if (!isObject(parameters)) throw badRequest(`${where}: "parameters" must be an object`)
  if (parameters.binary_data_size === undefined) return null
  const size = dimension(parameters.binary_data_size)
  if (size === null) throw badRequest(`${where}: parameters.binary_data_size must be a whole number of bytes`)
  return size
}

/** An input's data taken from the binary tensor data after the JSON (`size` bytes from where the last one ended). */
function readBinary(
  where: string,
  datatype: TensorDatatype,
  dims: number[],
  count: number,
  size: number,
  tail: Tail | undefined,
): Pick<SentInput, 'datatype' | 'valuesAs' | 'data'> {
  if (!tail) {
    throw badRequest(
      `${where} has parameters.binary_data_size, but the request has no Inference-Header-Content-Length header; send it with the length in bytes of the JSON that comes before the binary data`,
    )
  }
  const takes = binarySize(datatype, count)
  if (takes !== null && takes !== size) {
    throw badRequest(
      `${where}: parameters.binary_data_size is ${size}, but shape [${dims.join(', ')}] of ${datatype} takes ${takes} bytes`,
    )
  }
  const left = tail.bytes.length - tail.at
  if (size > left) {
    throw badRequest(
      `${where}: parameters.binary_data_size is ${size}, but only ${left} bytes of binary data are left after the JSON${tail.at > 0 ? ' and the inputs before it' : ''}`,
    )
  }
  const data = decodeBinaryData(where, datatype, tail.bytes.subarray(tail.at, tail.at + size), count)
  tail.at += size
  // Every half-precision value is exactly a float32, so FP16 is read as FP32 data.
  return { datatype, valuesAs: datatype === 'FP16' ? 'FP32' : datatype, data }
}

/**
 * Data flattened row-major. Flat data is taken as it is (its length is checked against the shape
 * afterwards); nested data must follow the shape exactly, level by level: `[[1, 2], [3]]` is not a
 * [3, 1] tensor. The walk goes no deeper than the shape, so no nesting can overflow the stack.
 */
function flatten(data: unknown[], dims: number[], where: string): unknown[] {
  if (!data.some(Array.isArray)) return data
  const out: unknown[] = []
  const path: number[] = []
  const at = () => `data${path.map((i) => `[${i}]`).join('')}`
  const refuse = (problem: string) =>
    badRequest(`${where}: nested "data" must follow shape [${dims.join(', ')}]; ${at()} ${problem}`)
  const walk = (a: unknown[], depth: number) => {
    if (a.length !== dims[depth]) {
      throw refuse(
        depth < dims.length
          ? `has ${a.length} element${a.length === 1 ? '' : 's'}, not ${dims[depth]}`
          : 'is an array deeper than the shape',
      )
    }
    const leaves = depth === dims.length - 1
    for (let i = 0; i < a.length; i++) {
      const e = a[i]
      path.push(i)
      if (leaves) {
        if (Array.isArray(e)) throw refuse('is an array deeper than the shape')
        out.push(e)
      } else if (Array.isArray(e)) walk(e, depth + 1)
      else throw refuse(`is a value where the shape has an array of ${dims[depth + 1]}`)
      path.pop()
    }
  }
  walk(data, 0)
  return out
}

function dimension(d: unknown): number | null {
  if (typeof d === 'number') return Number.isSafeInteger(d) && d >= 0 ? d : null
  const b = jsonInteger(d)
  return b !== null && b >= 0n && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : null
}

/** N of a tabular input: the request's shape must be [N] or [N, 1], N ≥ 1 and fit a fixed batch size. */
function rowsOf(input: SentInput, spec: TensorSpec): number {
  const [n, ...rest] = input.shape
  if (
    n === undefined ||
    rest.length > 1 ||
    (rest.length === 1 && rest[0] !== 1) ||
    n < 1 ||
    notFixed(spec, n)
  ) {
    throw badRequest(
      `input "${input.name}": shape [${input.shape.join(', ')}] does not fit the model's ${describe(spec)}; send one value per row, as [N] or [N, 1] with N ≥ 1`,
    )
  }
  return n
}

const notFixed = (spec: TensorSpec, n: number) => spec.shape[0]! >= 0 && spec.shape[0] !== n

/**
 * The requested output names, each a model output, each once (null: all, when none are named),
 * and which to answer as binary data: those whose `parameters.binary_data` is true, or, where an
 * output does not say, all when the request's `parameters.binary_data_output` is true.
 */
function readOutputs(
  value: unknown,
  signature: Signature,
  parameters: unknown,
): { names: string[] | null; binary: ReadonlySet<string> } {
  const all = flag(
    (parameters as Record<string, unknown> | undefined)?.binary_data_output,
    'parameters.binary_data_output',
  )
  if (value === undefined || (Array.isArray(value) && value.length === 0))
    return all ? { names: null, binary: new Set(signature.outputs.map((s) => s.name)) } : ALL_AS_JSON
  if (!Array.isArray(value)) throw badRequest('"outputs" must be an array of {"name": …}')
  const names: string[] = []
  let binary: Set<string> | null = null
  value.forEach((raw, i) => {
    if (!isObject(raw) || typeof raw.name !== 'string')
      throw badRequest(`outputs[${i}]: "name" must be a string`)
    if (!signature.outputs.some((s) => s.name === raw.name)) {
      throw badRequest(
        `unknown output "${raw.name}"; the model's outputs are ${describeAll(signature.outputs)}`,
      )
    }
    if (names.includes(raw.name)) throw badRequest(`output "${raw.name}" is requested more than once`)
    if (raw.parameters !== undefined && !isObject(raw.parameters))
      throw badRequest(`output "${raw.name}": "parameters" must be an object`)
    const own = flag(raw.parameters?.binary_data, `output "${raw.name}": parameters.binary_data`)
    if (own ?? all) {
      binary ??= new Set()
      binary.add(raw.name)
    }
    names.push(raw.name)
  })
  return { names, binary: binary ?? NONE }
}

/** A switch of the binary extension (binary_data_output, binary_data); undefined when not given. */
function flag(value: unknown, what: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  throw badRequest(`${what} must be true or false`)
}
