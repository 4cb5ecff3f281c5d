import { describe, expect, it } from 'vitest'
import { protocolFailure } from '../../../test/support/protocol.js'
import type { TensorDatatype } from '../../core/types.js'
import { convertData, exactInteger, feedType, type InputDatatype } from './datatypes.js'
import { parseJson } from './json.js'

const convert = (declared: TensorDatatype, target: InputDatatype, data: string) =>
  convertData('x', declared, target, parseJson(data) as unknown[])

const message = (fn: () => unknown) => protocolFailure(fn).message

describe('values of the declared datatype', () => {
  it('reads each datatype from its JSON type', () => {
    expect(convert('FP32', 'FP32', '[0.1, -2, 1e-3]')).toEqual(Float32Array.from([0.1, -2, 1e-3]))
    expect(convert('FP64', 'FP64', '[0.1, null]')).toEqual(Float64Array.from([0.1, Number.NaN]))
    expect(convert('INT64', 'INT64', '[9007199254740993, -9223372036854775808]')).toEqual(
      BigInt64Array.from([9007199254740993n, -(2n ** 63n)]),
    )
    expect(convert('INT32', 'INT32', '[-2147483648, 7]')).toEqual(Int32Array.from([-(2 ** 31), 7]))
    expect(convert('BOOL', 'BOOL', '[true, false]')).toEqual(Uint8Array.from([1, 0]))
    expect(convert('BYTES', 'BYTES', '["ORD", ""]')).toEqual(['ORD', ''])
  })

  it('names the input and the first element that is not of the declared type', () => {
    expect(message(() => convert('FP64', 'FP64', '[1, 2, "3", "x"]'))).toBe(
      'input "x": element 2 is string "3", but FP64 data must be numbers',
    )
    expect(message(() => convert('INT64', 'INT64', '[1, 1.5]'))).toBe(
      'input "x": element 1 is number 1.5, but INT64 data must be integers',
    )
    // Integers past 2^53 are read exactly only as plain digits.
    expect(message(() => convert('INT64', 'INT64', '[1, 1e16]'))).toBe(
      'input "x": element 1 (10000000000000000) is beyond ±2^53 and was not written as plain digits (it has an exponent or a fraction), so it cannot be read exactly; write INT64 values this large as plain digits',
    )
    expect(message(() => convert('INT64', 'INT64', '[9007199254740993.0]'))).toBe(
      'input "x": element 0 (9007199254740993.0) is beyond ±2^53 and was not written as plain digits (it has an exponent or a fraction), so it cannot be read exactly; write INT64 values this large as plain digits',
    )
    expect(message(() => convert('INT64', 'INT64', '[null]'))).toBe(
      'input "x": element 0 is null, but INT64 data must be integers',
    )
    expect(message(() => convert('BOOL', 'BOOL', '[true, 1]'))).toBe(
      'input "x": element 1 is number 1, but BOOL data must be booleans',
    )
    expect(message(() => convert('BYTES', 'BYTES', '["a", 7]'))).toBe(
      'input "x": element 1 is number 7, but BYTES data must be strings',
    )
    expect(protocolFailure(() => convert('FP64', 'FP64', '["x"]')).status).toBe(400)
  })

  it('refuses values outside the declared type', () => {
    expect(message(() => convert('INT8', 'INT32', '[1, 300]'))).toBe(
      'input "x": element 1 (300) is out of range for INT8',
    )
    expect(message(() => convert('FP32', 'FP32', '[1e39]'))).toBe(
      'input "x": element 0 (1e+39) is beyond the range of FP32',
    )
    expect(message(() => convert('FP16', 'FP32', '[1]'))).toBe(
      'input "x": FP16 data is accepted only as binary tensor data; send it as FP32 in JSON',
    )
  })
})

describe('conversion to the model input type', () => {
  it('float data feeds FP32 rounded to nearest; integers only when float32 holds them exactly', () => {
    expect(convert('FP64', 'FP32', '[0.5, 0.3, 0.1, 1.2676506002282294e30, null]')).toEqual(
      Float32Array.from([0.5, Math.fround(0.3), Math.fround(0.1), 2 ** 100, Number.NaN]),
    )
    expect(convert('FP64', 'FP32', '[0.3]')[0]).toBe(0.30000001192092896)
    expect(message(() => convert('FP64', 'FP32', '[1, 1e39]'))).toBe(
      'input "x": element 1 (1e+39) is beyond the range of the model\'s FP32',
    )
    const tokens = convert('FP64', 'FP32', '[NaN, Infinity, -Infinity]') as Float32Array
    expect(Array.from(tokens)).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
    // A literal too large for a double is still refused, not read as Infinity.
    expect(message(() => convert('FP64', 'FP64', '[1e400]'))).toBe(
      'input "x": element 0 (Infinity) is beyond the range of FP64',
    )
    expect(convert('INT64', 'FP32', '[16777216, -3]')).toEqual(Float32Array.from([16777216, -3]))
    expect(convert('INT32', 'FP32', '[7]')).toEqual(Float32Array.from([7]))
    expect(message(() => convert('INT64', 'FP32', '[16777217]'))).toBe(
      'input "x": element 0 (16777217) would lose precision as the model\'s FP32 (it would become 16777216); send FP32 data to have it rounded',
    )
  })

  it('FP32 data for FP32 input is rounded to float32, as the datatype says', () => {
    expect(convert('FP32', 'FP32', '[0.1]')[0]).toBe(Math.fround(0.1))
  })

  it('FP32 widens to FP64 exactly; integers feed FP64 up to ±2^53', () => {
    expect(convert('FP32', 'FP64', '[0.1]')).toEqual(Float64Array.from([Math.fround(0.1)]))
    expect(convert('INT64', 'FP64', '[9007199254740992, -9007199254740992]')).toEqual(
      Float64Array.from([2 ** 53, -(2 ** 53)]),
    )
    expect(message(() => convert('INT64', 'FP64', '[1, 9007199254740993]'))).toBe(
      'input "x": element 1 (9007199254740993) is beyond ±2^53 and would lose precision as the model\'s FP64; send FP64 data to have it rounded',
    )
    expect(message(() => convert('INT64', 'FP64', '[-9007199254740994]'))).toContain(
      'element 0 (-9007199254740994) is beyond ±2^53',
    )
  })

  it('float data feeds INT64 and INT32 only when every value is an integer', () => {
    expect(convert('FP64', 'INT64', '[1, 2.0, 3e2, -0]')).toEqual(BigInt64Array.from([1n, 2n, 300n, 0n]))
    expect(convert('FP32', 'INT32', '[16, -4]')).toEqual(Int32Array.from([16, -4]))
    expect(message(() => convert('FP64', 'INT64', '[1, 1.5]'))).toBe(
      'input "x": element 1 (1.5) is not an integer, so it cannot become the model\'s INT64',
    )
    expect(message(() => convert('FP64', 'INT64', '[1, null]'))).toBe(
      'input "x": element 1 is null (missing), but the model\'s INT64 has no missing value',
    )
  })

  it('integers feed other integer types within their range', () => {
    expect(convert('INT32', 'INT64', '[5]')).toEqual(BigInt64Array.from([5n]))
    expect(convert('UINT8', 'INT32', '[255]')).toEqual(Int32Array.from([255]))
    expect(message(() => convert('INT64', 'INT32', '[3000000000]'))).toBe(
      'input "x": element 0 (3000000000) is out of range for the model\'s INT32',
    )
    expect(message(() => convert('UINT64', 'INT64', '[18446744073709551615]'))).toBe(
      'input "x": element 0 (18446744073709551615) is out of range for the model\'s INT64',
    )
  })

  it('BYTES feeds BYTES only, BOOL feeds BOOL only', () => {
    expect(message(() => convert('FP32', 'BYTES', '[7]'))).toBe(
      'input "x": the model takes BYTES, and FP32 data cannot become BYTES; send BYTES data',
    )
    expect(message(() => convert('BYTES', 'FP32', '["7"]'))).toBe(
      'input "x": the model takes FP32, and BYTES data cannot become FP32; send FP32 data',
    )
    expect(message(() => convert('INT64', 'BOOL', '[1]'))).toBe(
      'input "x": the model takes BOOL, and INT64 data cannot become BOOL; send BOOL data',
    )
  })
})

describe('integers and model inputs', () => {
  it('reads the exact integer of a JSON literal', () => {
    expect(exactInteger('9007199254740993')).toBe(9007199254740993n)
    expect(exactInteger('-0')).toBe(0n)
    expect(exactInteger('1e3')).toBe(1000n)
    expect(exactInteger('1.5')).toBeNull()
    expect(exactInteger('9007199254740993.0')).toBeNull() // its double is not that integer
  })

  it('feeds one value per row of the tabular types, and says so otherwise (500: the model, not the client)', () => {
    expect(feedType({ name: 'a', datatype: 'FP32', shape: [-1, 1] })).toBe('FP32')
    expect(feedType({ name: 'a', datatype: 'BYTES', shape: [-1] })).toBe('BYTES')
    const wide = protocolFailure(() => feedType({ name: 'img', datatype: 'FP32', shape: [-1, 3] }))
    expect([wide.status, wide.message]).toEqual([
      500,
      'model input "img" has shape [-1, 3]; sluice serves one value per row ([N] or [N, 1])',
    ])
    expect(message(() => feedType({ name: 'u', datatype: 'UINT8', shape: [-1] }))).toBe(
      'model input "u" is UINT8; sluice serves FP32, FP64, INT64, INT32, BOOL, BYTES inputs',
    )
  })
})
