import { TENSOR_DATATYPES, type TensorDatatype, type TensorSpec } from '../../core/types.js'
import { badRequest, ProtocolError } from './errors.js'
import {
  describeJson,
  isJsonNumber,
  isLosslessNumber,
  type JsonNumber,
  NonFinite,
  numberText,
} from './json.js'

export const isDatatype = (v: unknown): v is TensorDatatype =>
  typeof v === 'string' && (TENSOR_DATATYPES as readonly string[]).includes(v)

/** The model input types the codec feeds: those of tabular models, as batch prediction. */
export const INPUT_DATATYPES = ['FP32', 'FP64', 'INT64', 'INT32', 'BOOL', 'BYTES'] as const
export type InputDatatype = (typeof INPUT_DATATYPES)[number]
export type InputData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | string[]

/** One model input, converted to the input's datatype and shaped as the model declares it. */
export interface InputTensor {
  datatype: InputDatatype
  dims: number[]
  data: InputData
}

/** `FP32 [N, 1]`: a spec as messages show it. */
export const describe = (t: TensorSpec) =>
  `${t.datatype} [${t.shape.map((d) => (d < 0 ? 'N' : d)).join(', ')}]`

export const describeAll = (specs: TensorSpec[]) => specs.map((t) => `${t.name} (${describe(t)})`).join(', ')

/**
 * The datatype a model input is fed as. Only one-value-per-row inputs ([N] or [N, 1]) of the
 * tabular types can be fed; any other model is the server's problem (500), not the client's.
 */
export function feedType(spec: TensorSpec): InputDatatype {
  const rest = spec.shape.slice(1)
  if (spec.shape.length === 0 || rest.length > 1 || (rest.length === 1 && rest[0] !== 1 && rest[0] !== -1)) {
    throw new ProtocolError(
      500,
      `model input "${spec.name}" has shape [${spec.shape.join(', ')}]; sluice serves one value per row ([N] or [N, 1])`,
    )
  }
  if (!(INPUT_DATATYPES as readonly string[]).includes(spec.datatype)) {
    throw new ProtocolError(
      500,
      `model input "${spec.name}" is ${spec.datatype}; sluice serves ${INPUT_DATATYPES.join(', ')} inputs`,
    )
  }
  return spec.datatype as InputDatatype
}

/** The dims to feed `rows` values as: the model's own rank. */
export const dimsFor = (spec: TensorSpec, rows: number) => (spec.shape.length === 2 ? [rows, 1] : [rows])

/** A problem with one element; the caller adds which input (or field) and which element. */
export class ElementProblem {
  constructor(readonly reason: string) {}
}

const INTEGER_RANGES: Partial<Record<TensorDatatype, readonly [bigint, bigint]>> = {
  INT8: [-(2n ** 7n), 2n ** 7n - 1n],
  INT16: [-(2n ** 15n), 2n ** 15n - 1n],
  INT32: [-(2n ** 31n), 2n ** 31n - 1n],
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT8: [0n, 2n ** 8n - 1n],
  UINT16: [0n, 2n ** 16n - 1n],
  UINT32: [0n, 2n ** 32n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
}

export const inRange = (b: bigint, d: TensorDatatype) => {
  const [lo, hi] = INTEGER_RANGES[d]!
  return b >= lo && b <= hi
}

const MAX_EXACT = 2n ** 53n

/**
 * The exact integer a JSON number literal stands for, or null if it is not one. Digits go through
 * BigInt untouched; a literal such as `1e3` or `2.0` is accepted when its double is a safe integer.
 */
export function exactInteger(literal: string): bigint | null {
  if (/^-?\d+$/.test(literal)) return BigInt(literal)
  const n = Number(literal)
  return Number.isSafeInteger(n) ? BigInt(n) : null
}

/** The exact integer a parsed JSON value stands for, or null if it is not one. */
export function jsonInteger(v: unknown): bigint | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : null
  return isLosslessNumber(v) ? exactInteger(v.value) : null
}

/**
 * A JSON number as a float of `d`: the nearest double, rounded once more to float32 for FP32. A
 * NaN or ±Infinity token is that value; a finite number beyond the type's range is refused rather
 * than turned into ±Infinity.
 */
export function floatOf(n: JsonNumber, d: 'FP32' | 'FP64'): number {
  if (n instanceof NonFinite) return n.number
  const double = typeof n === 'number' ? n : Number(n.value)
  const v = d === 'FP32' ? Math.fround(double) : double
  if (!Number.isFinite(v)) throw new ElementProblem(`(${numberText(n)}) is beyond the range of ${d}`)
  return v
}

const isFloat = (d: TensorDatatype) => d === 'FP32' || d === 'FP64'
const isInteger = (d: TensorDatatype) => d in INTEGER_RANGES

/** Which declared datatypes can feed which model input: numbers feed numbers, the rest only themselves. */
function canFeed(declared: TensorDatatype, target: InputDatatype): boolean {
  if (declared === target) return true
  const numeric = (d: TensorDatatype) => isFloat(d) || isInteger(d)
  return numeric(declared) && numeric(target)
}

/**
 * A request input's flat data, declared as `declared`, converted to the model input's datatype.
 * Each element must be a value of the declared type. Floats become the model's float type rounded
 * to nearest; any other conversion must lose nothing (see docs/serving-protocol.md). The first bad
 * element is a 400 naming the input and its index.
 */
export function convertData(
  name: string,
  declared: TensorDatatype,
  target: InputDatatype,
  elements: unknown[],
): InputData {
  if (declared === 'FP16') {
    throw badRequest(
      `input "${name}": FP16 data is accepted only as binary tensor data; send it as FP32 in JSON`,
    )
  }
  if (!canFeed(declared, target)) {
    throw badRequest(
      `input "${name}": the model takes ${target}, and ${declared} data cannot become ${target}; send ${target} data`,
    )
  }
  const direct = convertPlain(declared, target, elements)
  if (direct) return direct
  const each = <T>(convert: (e: unknown) => T) =>
    elements.map((e, i) => {
      try {
        return convert(e)
      } catch (p) {
        if (p instanceof ElementProblem) throw badRequest(`input "${name}": element ${i} ${p.reason}`)
        throw p
      }
    })
  switch (target) {
    case 'FP32':
    case 'FP64':
      return (target === 'FP32' ? Float32Array : Float64Array).from(each((e) => toFloat(declared, e, target)))
    case 'INT64':
      return BigInt64Array.from(each((e) => toInteger(declared, e, target)))
    case 'INT32':
      return Int32Array.from(each((e) => Number(toInteger(declared, e, target))))
    case 'BOOL':
      return Uint8Array.from(each((e) => (readBool(declared, e) ? 1 : 0)))
    case 'BYTES':
      return each((e) => readString(declared, e))
  }
}

/**
 * The common cases without per-element closures: float data of plain finite numbers for a float
 * input (FP64 for FP32 is numpy's default), or strings for BYTES. Null when any element needs the
 * general path (which also names what is wrong with it).
 */
function convertPlain(
  declared: TensorDatatype,
  target: InputDatatype,
  elements: unknown[],
): InputData | null {
  if (target === 'BYTES') {
    if (declared !== 'BYTES') return null
    for (let i = 0; i < elements.length; i++) if (typeof elements[i] !== 'string') return null
    return elements as string[]
  }
  if ((target !== 'FP32' && target !== 'FP64') || (declared !== 'FP32' && declared !== 'FP64')) return null
  const out = target === 'FP32' ? new Float32Array(elements.length) : new Float64Array(elements.length)
  const narrow = declared === 'FP32' && target === 'FP64' // FP32 data is float32 values first
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i]
    if (typeof e !== 'number') return null
    out[i] = narrow ? Math.fround(e) : e
    if (!Number.isFinite(out[i]!)) return null
  }
  return out
}

const literalOf = (e: unknown) => (isJsonNumber(e) ? numberText(e) : String(e))

function readBool(declared: TensorDatatype, e: unknown): boolean {
  if (typeof e !== 'boolean')
    throw new ElementProblem(`is ${describeJson(e)}, but ${declared} data must be booleans`)
  return e
}

function readString(declared: TensorDatatype, e: unknown): string {
  if (typeof e !== 'string')
    throw new ElementProblem(`is ${describeJson(e)}, but ${declared} data must be strings`)
  return e
}

/**
 * A float element as declared; null stands for NaN, the missing value the models impute (so does a
 * NaN token).
 */
function readFloat(declared: 'FP32' | 'FP64', e: unknown): number {
  if (e === null) return Number.NaN
  if (!isJsonNumber(e))
    throw new ElementProblem(`is ${describeJson(e)}, but ${declared} data must be numbers`)
  return floatOf(e, declared)
}

function readInteger(declared: TensorDatatype, e: unknown): bigint {
  const b = jsonInteger(e)
  if (b === null && isJsonNumber(e) && Number.isInteger(Number(numberText(e))))
    // 1e16 or 9007199254740993.0: an integer, but past 2^53 only its plain digits are read exactly.
    throw new ElementProblem(
      `(${numberText(e)}) is beyond ±2^53 and was not written as plain digits (it has an exponent or a fraction), so it cannot be read exactly; write ${declared} values this large as plain digits`,
    )
  if (b === null) throw new ElementProblem(`is ${describeJson(e)}, but ${declared} data must be integers`)
  if (!inRange(b, declared)) throw new ElementProblem(`(${b}) is out of range for ${declared}`)
  return b
}

function toFloat(declared: TensorDatatype, e: unknown, target: 'FP32' | 'FP64'): number {
  if (isFloat(declared)) {
    const v = readFloat(declared as 'FP32' | 'FP64', e)
    // FP32 widens to FP64 exactly; FP64 narrows to FP32 rounded to nearest, as numpy's astype
    // does, but a finite value past float32's range is refused rather than made ±Infinity.
    if (target === 'FP32' && Number.isFinite(v) && !Number.isFinite(Math.fround(v))) {
      throw new ElementProblem(`(${literalOf(e)}) is beyond the range of the model's FP32`)
    }
    return v
  }
  const b = readInteger(declared, e)
  // Past 2^53 a double does not hold every integer: refuse them all, so the rule does not depend on the value.
  if (b > MAX_EXACT || b < -MAX_EXACT) {
    throw new ElementProblem(
      `(${b}) is beyond ±2^53 and would lose precision as the model's ${target}; send ${target} data to have it rounded`,
    )
  }
  const v = Number(b)
  if (target === 'FP32' && Math.fround(v) !== v) {
    throw new ElementProblem(
      `(${b}) would lose precision as the model's FP32 (it would become ${Math.fround(v)}); send FP32 data to have it rounded`,
    )
  }
  return v
}

function toInteger(declared: TensorDatatype, e: unknown, target: 'INT64' | 'INT32'): bigint {
  let b: bigint
  if (isFloat(declared)) {
    if (e === null)
      throw new ElementProblem(`is null (missing), but the model's ${target} has no missing value`)
    const v = readFloat(declared as 'FP32' | 'FP64', e)
    if (!Number.isInteger(v)) {
      throw new ElementProblem(
        `(${literalOf(e)}) is not an integer, so it cannot become the model's ${target}`,
      )
    }
    b = BigInt(v)
  } else {
    b = readInteger(declared, e)
  }
  if (!inRange(b, target)) throw new ElementProblem(`(${b}) is out of range for the model's ${target}`)
  return b
}
