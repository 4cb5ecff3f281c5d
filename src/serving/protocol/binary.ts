import { LosslessNumber } from 'lossless-json'
import type { TensorDatatype } from '../../core/types.js'
import { badRequest, ProtocolError } from './errors.js'
import { NonFinite } from './json-nonfinite.js'
import type { OutputTensor } from './outputs.js'

/*
 * The binary tensor data extension of the Open Inference Protocol's HTTP/REST binding, as Triton
 * defines it (triton-inference-server/server, docs/protocol/extension_binary_data.md) and KServe's
 * and Triton's Python clients send it by default: the body is the JSON request, whose length in
 * bytes the `Inference-Header-Content-Length` header gives, followed by the data of every input
 * whose `parameters.binary_data_size` says how many bytes it takes, in the order of `inputs`.
 * Tensor data is row-major and little-endian, each element in its type's size; BOOL is one byte
 * (0 or 1); a BYTES element is a 4-byte little-endian unsigned length and then that many bytes.
 */

/** Bytes per element of the datatypes of fixed size (BYTES has none). */
const ELEMENT_BYTES: Record<Exclude<TensorDatatype, 'BYTES'>, number> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
}

/** Bytes `count` elements of `datatype` take; null for BYTES, whose elements vary. */
export const binarySize = (datatype: TensorDatatype, count: number): number | null =>
  datatype === 'BYTES' ? null : ELEMENT_BYTES[datatype] * count

/**
 * A binary-extension body split at the end of its JSON: `headerLength` is the
 * Inference-Header-Content-Length header, which must be a whole number of bytes the body holds.
 */
export function splitBinaryBody(body: Uint8Array, headerLength: string): { json: string; tail: Uint8Array } {
  const n = /^\d{1,15}$/.test(headerLength.trim()) ? Number(headerLength) : Number.NaN
  if (!Number.isSafeInteger(n)) {
    throw badRequest(
      `header Inference-Header-Content-Length ${JSON.stringify(headerLength.slice(0, 40))} is not a number of bytes; it gives the length of the JSON at the start of the body`,
    )
  }
  if (n > body.length) {
    throw badRequest(
      `header Inference-Header-Content-Length is ${n}, but the body has ${body.length} bytes; it gives the length of the JSON at the start of the body`,
    )
  }
  const json = Buffer.from(body.buffer, body.byteOffset, n).toString('utf8')
  return { json, tail: body.subarray(n) }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The elements of one input's binary data as the JSON reader would give them: numbers (NaN and
 * ±Infinity as their tokens, 64-bit integers past 2^53 as exact literals), booleans, or strings
 * (BYTES elements must be UTF-8 text: the models take strings). `where` names the input.
 */
export function decodeBinaryData(
  where: string,
  datatype: TensorDatatype,
  bytes: Uint8Array,
  count: number,
): unknown[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (datatype === 'BYTES') return decodeStrings(where, bytes, view, count)
  const size = ELEMENT_BYTES[datatype]
  const read = reader(datatype)
  const out = new Array<unknown>(count)
  for (let i = 0; i < count; i++) out[i] = read(view, i * size)
  if (datatype === 'BOOL') {
    const bad = out.findIndex((b) => b !== 0 && b !== 1)
    if (bad >= 0)
      throw badRequest(`${where}: binary BOOL element ${bad} is byte ${out[bad]}; a BOOL is one byte, 0 or 1`)
    return out.map((b) => b === 1)
  }
  return out
}

/** A float as the JSON reader gives it: NaN and ±Infinity are the tokens that name them. */
const float = (v: number): number | NonFinite =>
  Number.isFinite(v) ? v : new NonFinite(String(v) as NonFinite['value'])

/** A 64-bit integer as the JSON reader gives it: a number when a double holds it, else its digits. */
const integer = (b: bigint): number | LosslessNumber =>
  b >= -MAX_SAFE && b <= MAX_SAFE ? Number(b) : new LosslessNumber(b.toString())

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

function reader(datatype: Exclude<TensorDatatype, 'BYTES'>): (view: DataView, at: number) => unknown {
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      return (view, at) => view.getUint8(at)
    case 'INT8':
      return (view, at) => view.getInt8(at)
    case 'UINT16':
      return (view, at) => view.getUint16(at, true)
    case 'INT16':
      return (view, at) => view.getInt16(at, true)
    case 'UINT32':
      return (view, at) => view.getUint32(at, true)
    case 'INT32':
      return (view, at) => view.getInt32(at, true)
    case 'UINT64':
      return (view, at) => integer(view.getBigUint64(at, true))
    case 'INT64':
      return (view, at) => integer(view.getBigInt64(at, true))
    case 'FP16':
      return (view, at) => float(halfToNumber(view.getUint16(at, true)))
    case 'FP32':
      return (view, at) => float(view.getFloat32(at, true))
    case 'FP64':
      return (view, at) => float(view.getFloat64(at, true))
  }
}

/** An IEEE 754 half-precision float (its 16 bits) as the number it is; every one is exact as a double. */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exponent = (bits >> 10) & 0x1f
  const fraction = bits & 0x3ff
  if (exponent === 0) return sign * fraction * 2 ** -24 // zero and subnormals
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15)
}

function decodeStrings(where: string, bytes: Uint8Array, view: DataView, count: number): string[] {
  const out: string[] = []
  let at = 0
  while (at < bytes.length) {
    const i = out.length
    if (at + 4 > bytes.length) {
      throw badRequest(
        `${where}: binary BYTES element ${i} has ${bytes.length - at} bytes left for its 4-byte length`,
      )
    }
    const length = view.getUint32(at, true)
    at += 4
    if (at + length > bytes.length) {
      throw badRequest(
        `${where}: binary BYTES element ${i} says it has ${length} bytes, but only ${bytes.length - at} remain in the input's data`,
      )
    }
    try {
      out.push(utf8.decode(bytes.subarray(at, at + length)))
    } catch {
      throw badRequest(`${where}: binary BYTES element ${i} is not UTF-8 text; the model takes strings`)
    }
    at += length
  }
  if (out.length !== count) {
    throw badRequest(
      `${where}: the binary BYTES data holds ${out.length} element${out.length === 1 ? '' : 's'}, but the shape takes ${count}`,
    )
  }
  return out
}

/** An output's elements as binary tensor data (little-endian, row-major; BYTES length-prefixed). */
export function encodeBinaryData(tensor: OutputTensor): Uint8Array {
  const { datatype, data } = tensor
  if (datatype === 'BYTES') {
    const parts = Array.from(data, (v) => Buffer.from(String(v), 'utf8'))
    const out = Buffer.alloc(parts.reduce((n, p) => n + 4 + p.length, 0))
    let at = 0
    for (const p of parts) {
      out.writeUInt32LE(p.length, at)
      out.set(p, at + 4)
      at += 4 + p.length
    }
    return out
  }
  if (datatype === 'FP16') {
    // onnxruntime gives FP16 as raw bits; no sluice model outputs FP16.
    throw new ProtocolError(500, 'the model gives an FP16 output, which sluice does not serve')
  }
  const size = ELEMENT_BYTES[datatype]
  const out = new Uint8Array(size * data.length)
  const view = new DataView(out.buffer)
  const write = writer(datatype)
  for (let i = 0; i < data.length; i++) write(view, i * size, data[i])
  return out
}

function writer(
  datatype: Exclude<TensorDatatype, 'BYTES' | 'FP16'>,
): (view: DataView, at: number, v: unknown) => void {
  switch (datatype) {
    case 'BOOL':
      return (view, at, v) => view.setUint8(at, v ? 1 : 0)
    case 'UINT8':
      return (view, at, v) => view.setUint8(at, Number(v))
    case 'INT8':
      return (view, at, v) => view.setInt8(at, Number(v))
    case 'UINT16':
      return (view, at, v) => view.setUint16(at, Number(v), true)
    case 'INT16':
      return (view, at, v) => view.setInt16(at, Number(v), true)
    case 'UINT32':
      return (view, at, v) => view.setUint32(at, Number(v), true)
    case 'INT32':
      return (view, at, v) => view.setInt32(at, Number(v), true)
    case 'UINT64':
      return (view, at, v) => view.setBigUint64(at, BigInt(v as bigint | number), true)
    case 'INT64':
      return (view, at, v) => view.setBigInt64(at, BigInt(v as bigint | number), true)
    case 'FP32':
      return (view, at, v) => view.setFloat32(at, Number(v), true)
    case 'FP64':
      return (view, at, v) => view.setFloat64(at, Number(v), true)
  }
}
