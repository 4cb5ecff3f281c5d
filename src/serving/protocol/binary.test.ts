import { describe, expect, it } from 'vitest'
import { binaryRequest, concat } from '../../../test/support/binary-request.js'
import { protocolFailure } from '../../../test/support/protocol.js'
import type { Signature } from '../../core/types.js'
import { decodeBinaryData, encodeBinaryData, halfToNumber, splitBinaryBody } from './binary.js'
import { NonFinite } from './json.js'
import { parseInferRequest } from './request.js'

const hex = (text: string) => Uint8Array.from(text.split(' ').map((b) => Number.parseInt(b, 16)))
const show = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')

const signature: Signature = {
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1] },
    { name: 's', datatype: 'BYTES', shape: [-1] },
  ],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
}

/** A body as the server gets it: split at the header, then parsed against `signature`. */
const parse = (body: Uint8Array, headerLength: number, sig = signature) => {
  const { json, tail } = splitBinaryBody(body, String(headerLength))
  return parseInferRequest(json, sig, { binary: tail })
}

describe('binary tensor data: a fixed, hand-checked request', () => {
  // FP32 1.5 is 0x3FC00000 and -2 is 0xC0000000, written little-endian; the BYTES element "ab"
  // is its length 2 as a 4-byte little-endian integer, then 0x61 0x62; "" is a length of 0.
  const json =
    '{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}},' +
    '{"name":"s","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":10}}]}'
  const tail = hex('00 00 c0 3f 00 00 00 c0 02 00 00 00 61 62 00 00 00 00')
  const body = concat([new TextEncoder().encode(json), tail])

  it('reads the inputs from the bytes after the JSON', () => {
    const req = parse(body, json.length)
    expect(req.inputs.x).toEqual({ datatype: 'FP32', dims: [2], data: Float32Array.of(1.5, -2) })
    expect(req.inputs.s).toEqual({ datatype: 'BYTES', dims: [2], data: ['ab', ''] })
  })

  it('is what the test helper builds from the spec', () => {
    const built = binaryRequest([
      { name: 'x', shape: [2], datatype: 'FP32', binary: [1.5, -2] },
      { name: 's', shape: [2], datatype: 'BYTES', binary: ['ab', ''] },
    ])
    expect(show(built.body)).toBe(show(body))
    expect(built.headerLength).toBe(json.length)
  })
})

describe('binary tensor data: elements of each datatype', () => {
  it('decodes little-endian numbers, BOOL bytes and length-prefixed UTF-8 strings', () => {
    expect(decodeBinaryData('x', 'FP64', hex('9a 99 99 99 99 99 b9 3f'), 1)).toEqual([0.1])
    expect(decodeBinaryData('x', 'INT32', hex('ff ff ff ff 07 00 00 00'), 2)).toEqual([-1, 7])
    expect(decodeBinaryData('x', 'BOOL', hex('01 00 01'), 3)).toEqual([true, false, true])
    expect(decodeBinaryData('x', 'BYTES', hex('03 00 00 00 4f 52 44 00 00 00 00'), 2)).toEqual(['ORD', ''])
    expect(decodeBinaryData('x', 'BYTES', hex('02 00 00 00 c3 a9'), 1)).toEqual(['é'])
  })

  it('keeps 64-bit integers exact: past 2^53 as their digits', () => {
    const [small, big] = decodeBinaryData(
      'x',
      'INT64',
      hex('fe ff ff ff ff ff ff ff 01 00 00 00 00 00 20 00'),
      2,
    )
    expect(small).toBe(-2)
    expect(String((big as { value: string }).value)).toBe('9007199254740993')
  })

  it('gives NaN and ±Infinity as the tokens that name them', () => {
    const [nan, inf] = decodeBinaryData('x', 'FP32', hex('00 00 c0 7f 00 00 80 ff'), 2)
    expect(nan).toEqual(new NonFinite('NaN'))
    expect(inf).toEqual(new NonFinite('-Infinity'))
  })

  it('reads half-precision floats exactly', () => {
    expect([0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff].map(halfToNumber)).toEqual([
      1,
      -2,
      0.333251953125,
      2 ** -24,
      65504,
    ])
    expect(halfToNumber(0x7c00)).toBe(Number.POSITIVE_INFINITY)
    expect(halfToNumber(0x7e00)).toBeNaN()
  })

  it('refuses a BOOL byte other than 0 or 1, BYTES that overrun their data, and BYTES that are not UTF-8', () => {
    const message = (fn: () => unknown) => protocolFailure(fn).message
    expect(message(() => decodeBinaryData('input "b"', 'BOOL', hex('01 02'), 2))).toBe(
      'input "b": binary BOOL element 1 is byte 2; a BOOL is one byte, 0 or 1',
    )
    expect(message(() => decodeBinaryData('input "s"', 'BYTES', hex('09 00 00 00 61'), 1))).toBe(
      'input "s": binary BYTES element 0 says it has 9 bytes, but only 1 remain in the input\'s data',
    )
    expect(message(() => decodeBinaryData('input "s"', 'BYTES', hex('01 00 00 00 61 00 00'), 2))).toBe(
      'input "s": binary BYTES element 1 has 2 bytes left for its 4-byte length',
    )
    expect(message(() => decodeBinaryData('input "s"', 'BYTES', hex('01 00 00 00 ff'), 1))).toBe(
      'input "s": binary BYTES element 0 is not UTF-8 text; the model takes strings',
    )
    expect(message(() => decodeBinaryData('input "s"', 'BYTES', hex('01 00 00 00 61'), 2))).toBe(
      'input "s": the binary BYTES data holds 1 element, but the shape takes 2',
    )
  })

  it('encodes outputs: fixed hand-checked bytes for each datatype', () => {
    const encode = (
      datatype: 'FP32' | 'FP64' | 'INT64' | 'INT32' | 'BOOL' | 'BYTES',
      data: ArrayLike<unknown>,
    ) => show(encodeBinaryData({ datatype, dims: [data.length], data }))
    expect(encode('FP32', Float32Array.of(0.5, -1))).toBe('00 00 00 3f 00 00 80 bf')
    expect(encode('FP64', [0.1])).toBe('9a 99 99 99 99 99 b9 3f')
    expect(encode('INT64', BigInt64Array.of(1n, -1n))).toBe('01 00 00 00 00 00 00 00 ff ff ff ff ff ff ff ff')
    expect(encode('INT32', Int32Array.of(258))).toBe('02 01 00 00')
    expect(encode('BOOL', Uint8Array.of(1, 0))).toBe('01 00')
    expect(encode('BYTES', ['ORD', 'é'])).toBe('03 00 00 00 4f 52 44 02 00 00 00 c3 a9')
  })
})

describe('binary tensor data: the body and its header', () => {
  it('splits the body where Inference-Header-Content-Length says the JSON ends', () => {
    const { json, tail } = splitBinaryBody(new TextEncoder().encode('{"a":1}xyz'), '7')
    expect(json).toBe('{"a":1}')
    expect(new TextDecoder().decode(tail)).toBe('xyz')
  })

  it('refuses a header that is not a number of bytes, or more bytes than the body has', () => {
    const body = new TextEncoder().encode('{}')
    expect(protocolFailure(() => splitBinaryBody(body, 'ten')).message).toBe(
      'header Inference-Header-Content-Length "ten" is not a number of bytes; it gives the length of the JSON at the start of the body',
    )
    expect(protocolFailure(() => splitBinaryBody(body, '30')).message).toBe(
      'header Inference-Header-Content-Length is 30, but the body has 2 bytes; it gives the length of the JSON at the start of the body',
    )
  })
})
