import { type Signature, TENSOR_DATATYPES, type TensorDatatype, type TensorSpec } from '../../core/types.js'
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
import { quoteId, requestIdProblem } from './request-id.js'

export type { InputTensor }

/** An Open Inference Protocol v2 infer request, validated against a model's signature. */
export interface InferRequest {
  id: string | null
  /** Every model input, converted to its datatype and shaped as the model declares it. */
  inputs: Record<string, InputTensor>
  /** Rows in the batch (N, the same for every input). */
  rows: number
  /** The outputs the client asked for, in its order; null = all of the model's outputs. */
  outputs: string[] | null
  parameters: Record<string, unknown>
}

/** A request input as sent, before it meets the model. */
interface SentInput {
  name: string
  shape: number[]
  datatype: TensorDatatype
  data: unknown[]
}

/** Most dimensions a request's shape may have (tabular inputs have one or two). */
const MAX_RANK = 16

/**
 * Parses and validates the body of `POST /v2/models/{name}/infer`. Every problem is a
 * ProtocolError (400) whose message names the input, element or field at fault; a model input the
 * codec cannot feed is a 500.
 */
export function parseInferRequest(bodyText: string, signature: Signature): InferRequest {
  const body = parseJson(bodyText)
  if (!isObject(body)) throw badRequest('the request body must be a JSON object with "inputs"')
  if (body.id !== undefined && typeof body.id !== 'string') throw badRequest('"id" must be a string')
  const idProblem = typeof body.id === 'string' && requestIdProblem(body.id)
  if (idProblem) throw badRequest(`"id" ${quoteId(body.id as string)} ${idProblem}`)
  // An empty id is no id, as an empty x-request-id header is.
  const id = (body.id as string | undefined) || null
  try {
    return { id, ...readRequest(body, signature) }
  } catch (e) {
    // A request refused after its id was read is answered under that id.
    if (id !== null && e instanceof ProtocolError) e.requestId = id
    throw e
  }
}

/** An infer request's inputs, rows, requested outputs and parameters, checked against the signature. */
function readRequest(body: Record<string, unknown>, signature: Signature): Omit<InferRequest, 'id'> {
  if (body.parameters !== undefined && !isObject(body.parameters)) {
    throw badRequest('"parameters" must be an object')
  }
  const sent = readInputs(body.inputs, signature)
  const inputs: Record<string, InputTensor> = {}
  let rows: number | null = null
  for (const spec of signature.inputs) {
    const input = sent.get(spec.name)!
    const target = feedType(spec)
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
      data: convertData(spec.name, input.datatype, target, input.data),
    }
  }
  return {
    inputs,
    rows: rows!,
    outputs: readOutputs(body.outputs, signature),
    parameters: toPlain(body.parameters ?? {}, '"parameters"') as Record<string, unknown>,
  }
}

/** The sent inputs by name: each well-formed, known to the model, given once, none missing. */
function readInputs(value: unknown, signature: Signature): Map<string, SentInput> {
  if (!Array.isArray(value) || value.length === 0) throw badRequest('"inputs" must be a non-empty array')
  const sent = new Map<string, SentInput>()
  value.forEach((raw, i) => {
    const input = readInput(raw, i)
    if (!signature.inputs.some((s) => s.name === input.name)) {
      throw badRequest(
        `unknown input "${input.name}"; the model's inputs are ${describeAll(signature.inputs)}`,
      )
    }
    if (sent.has(input.name)) throw badRequest(`input "${input.name}" is given more than once`)
    sent.set(input.name, input)
  })
  const missing = signature.inputs.filter((s) => !sent.has(s.name))
  if (missing.length > 0) {
    const names = missing.map((s) => `"${s.name}"`).join(', ')
    throw badRequest(
      `missing input${missing.length > 1 ? 's' : ''} ${names}; the model's inputs are ${describeAll(signature.inputs)}`,
    )
  }
  return sent
}

function readInput(raw: unknown, i: number): SentInput {
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
  if (!Array.isArray(raw.data))
    throw badRequest(`${where}: "data" must be an array (flat or nested, row-major)`)
  const dims = shape as number[]
  if (dims.length > MAX_RANK) {
    throw badRequest(`${where}: "shape" has ${dims.length} dimensions; at most ${MAX_RANK} are read`)
  }
  // Nested data is row-major, so flattening it gives the same order as flat data.
  const data = flatten(raw.data, dims, where)
  const expected = dims.reduce((a, b) => a * b, 1)
  if (expected !== data.length) {
    throw badRequest(
      `${where}: shape [${dims.join(', ')}] holds ${expected} element${expected === 1 ? '' : 's'}, but "data" has ${data.length}`,
    )
  }
  return { name: raw.name, shape: dims, datatype: raw.datatype, data }
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

/** The requested output names, each a model output, each once; null (all) when none are named. */
function readOutputs(value: unknown, signature: Signature): string[] | null {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return null
  if (!Array.isArray(value)) throw badRequest('"outputs" must be an array of {"name": …}')
  const names: string[] = []
  value.forEach((raw, i) => {
    if (!isObject(raw) || typeof raw.name !== 'string')
      throw badRequest(`outputs[${i}]: "name" must be a string`)
    if (!signature.outputs.some((s) => s.name === raw.name)) {
      throw badRequest(
        `unknown output "${raw.name}"; the model's outputs are ${describeAll(signature.outputs)}`,
      )
    }
    if (names.includes(raw.name)) throw badRequest(`output "${raw.name}" is requested more than once`)
    names.push(raw.name)
  })
  return names
}
