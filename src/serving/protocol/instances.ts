import type { Signature, TensorSpec } from '../../core/types.js'
import {
  dimsFor,
  ElementProblem,
  feedType,
  floatOf,
  type InputDatatype,
  type InputTensor,
  inRange,
  jsonInteger,
} from './datatypes.js'
import { badRequest, type FieldError } from './errors.js'
import { describeJson, isJsonNumber, isObject, parseJson } from './json.js'
import { jsonValues, type OutputTensor, outputsToWrite } from './outputs.js'

/** A plain request's rows as the model's inputs. */
export interface InstancesRequest {
  inputs: Record<string, InputTensor>
  rows: number
}

/** At most this many field problems are listed; the message counts the rest. */
export const MAX_FIELD_ERRORS = 10

/**
 * Parses `{"instances": [{field: value, …}, …]}`: one object per row, one field per model input
 * (fields that are not model inputs are ignored). Every bad field of every row is checked; the
 * first ten are listed in one 400 message and in `details`.
 */
export function parseInstances(bodyText: string, signature: Signature): InstancesRequest {
  const body = parseJson(bodyText)
  const rows = isObject(body) ? body.instances : undefined
  if (!Array.isArray(rows) || rows.length === 0) {
    throw badRequest('the request body must be {"instances": [...]} with at least one row object')
  }
  const errors: FieldError[] = []
  let count = 0
  const report = (row: number, field: string | null, message: string) => {
    count++
    if (errors.length < MAX_FIELD_ERRORS)
      errors.push({ row, field, message: `instances[${row}]: ${message}` })
  }
  const columns = signature.inputs.map((spec) => ({
    spec,
    type: feedType(spec),
    values: new Array(rows.length),
  }))
  for (const [r, row] of rows.entries()) {
    if (!isObject(row)) {
      report(r, null, `expected an object of field values, got ${describeJson(row)}`)
      continue
    }
    for (const { spec, type, values } of columns) {
      if (!Object.hasOwn(row, spec.name)) {
        report(r, spec.name, `missing field "${spec.name}" (${type})`)
        continue
      }
      try {
        values[r] = fieldValue(type, row[spec.name])
      } catch (p) {
        if (!(p instanceof ElementProblem)) throw p
        report(r, spec.name, `field "${spec.name}" ${p.reason}`)
      }
    }
  }
  if (count > 0) {
    const more = count > errors.length ? `; and ${count - errors.length} more` : ''
    throw badRequest(
      `${count} problem${count > 1 ? 's' : ''} in "instances": ${errors.map((e) => e.message).join('; ')}${more}`,
      errors,
    )
  }
  const inputs: Record<string, InputTensor> = {}
  for (const { spec, type, values } of columns) inputs[spec.name] = tensor(spec, type, values)
  return { inputs, rows: rows.length }
}

type Value = number | bigint | boolean | string

/**
 * One field's JSON value as the model input's type. null is the missing value where the type has
 * one: NaN for floats (the models impute it) and "" for BYTES (what batch prediction feeds for a
 * missing category); integers and booleans have none. Numbers for BYTES become their decimal text,
 * as batch prediction does with a numeric column.
 */
function fieldValue(type: InputDatatype, v: unknown): Value {
  const wrong = (expected: string) =>
    new ElementProblem(`expects ${expected} (${type}), got ${describeJson(v)}`)
  if (v === null) {
    if (type === 'FP32' || type === 'FP64') return Number.NaN
    if (type === 'BYTES') return ''
    return fail(`is null, but ${type} has no missing value`)
  }
  switch (type) {
    case 'FP32':
    case 'FP64':
      if (!isJsonNumber(v)) throw wrong('a number')
      return floatOf(v, type)
    case 'INT64':
    case 'INT32': {
      const b = jsonInteger(v)
      if (b === null) throw wrong('an integer')
      if (!inRange(b, type)) return fail(`(${b}) is out of range for ${type}`)
      return b
    }
    case 'BOOL':
      if (typeof v !== 'boolean') throw wrong('a boolean')
      return v
    case 'BYTES':
      if (isJsonNumber(v)) return typeof v === 'number' ? String(v) : String(Number(v.value))
      if (typeof v !== 'string') throw wrong('a string')
      return v
  }
}

const fail = (reason: string): never => {
  throw new ElementProblem(reason)
}

function tensor(spec: TensorSpec, type: InputDatatype, values: Value[]): InputTensor {
  const dims = dimsFor(spec, values.length)
  switch (type) {
    case 'FP32':
      return { datatype: type, dims, data: Float32Array.from(values as number[]) }
    case 'FP64':
      return { datatype: type, dims, data: Float64Array.from(values as number[]) }
    case 'INT64':
      return { datatype: type, dims, data: BigInt64Array.from(values as bigint[]) }
    case 'INT32':
      return { datatype: type, dims, data: Int32Array.from(values as bigint[], Number) }
    case 'BOOL':
      return { datatype: type, dims, data: Uint8Array.from(values as boolean[], Number) }
    case 'BYTES':
      return { datatype: type, dims, data: values as string[] }
  }
}

/** One row of a plain response: each output's value for the row. */
export type InstanceRow = Record<string, unknown>

/**
 * The rows of a plain response, one object per row with every model output. A row's value is a
 * scalar when the output has one value per row (`label` [N], `prediction` [N, 1]), else the row's
 * values as a flat array (`probabilities` [N, 2]). Values are JSON-ready as in the infer response
 * (FP32 shortest, NaN null); an INT64 beyond ±2^53 is a bigint, so write rows with stringifyJson.
 */
export function instancesResponse(
  outputs: Record<string, OutputTensor>,
  signature: Signature,
): InstanceRow[] {
  const columns = outputsToWrite(outputs, signature, null).map(([name, t]) => ({
    name,
    width: t.dims.slice(1).reduce((a, b) => a * b, 1),
    values: jsonValues(t),
    rows: t.dims[0] ?? 0,
  }))
  return Array.from({ length: columns[0]?.rows ?? 0 }, (_, r) =>
    Object.fromEntries(
      columns.map(({ name, width, values }) => [
        name,
        width === 1 ? values[r] : values.slice(r * width, (r + 1) * width),
      ]),
    ),
  )
}
