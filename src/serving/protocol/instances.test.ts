import { describe, expect, it } from 'vitest'
import { protocolFailure } from '../../../test/support/protocol.js'
import type { Signature } from '../../core/types.js'
import { instancesResponse, parseInstances } from './instances.js'
import { stringifyJson } from './json.js'
import type { OutputTensor } from './outputs.js'

const signature: Signature = {
  inputs: [
    { name: 'distance', datatype: 'FP32', shape: [-1, 1] },
    { name: 'origin', datatype: 'BYTES', shape: [-1, 1] },
    { name: 'flight_id', datatype: 'INT64', shape: [-1] },
    { name: 'night', datatype: 'BOOL', shape: [-1] },
  ],
  outputs: [
    { name: 'label', datatype: 'INT64', shape: [-1] },
    { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
  ],
}
const row = { distance: 900, origin: 'ORD', flight_id: 17, night: false }
const parse = (body: string) => parseInstances(body, signature)
const body = (rows: unknown[]) => JSON.stringify({ instances: rows })

describe('parseInstances', () => {
  it('turns rows into the model inputs; fields that are not inputs are ignored', () => {
    const req = parse(body([row, { ...row, distance: 0.5, origin: 'JFK', night: true, delayed: 1 }]))
    expect(req).toEqual({
      rows: 2,
      inputs: {
        distance: { datatype: 'FP32', dims: [2, 1], data: Float32Array.from([900, 0.5]) },
        origin: { datatype: 'BYTES', dims: [2, 1], data: ['ORD', 'JFK'] },
        flight_id: { datatype: 'INT64', dims: [2], data: BigInt64Array.from([17n, 17n]) },
        night: { datatype: 'BOOL', dims: [2], data: Uint8Array.from([0, 1]) },
      },
    })
  })

  it('null is the missing value of numbers (NaN) and of strings (""); a number for BYTES becomes its text', () => {
    const req = parse(
      body([
        { ...row, distance: null, origin: null },
        { ...row, origin: 7 },
      ]),
    )
    expect(req.inputs.distance!.data).toEqual(Float32Array.from([Number.NaN, 900]))
    expect(req.inputs.origin!.data).toEqual(['', '7'])
  })

  it('keeps INT64 beyond 2^53 exact', () => {
    const text = body([{ ...row, flight_id: 0 }]).replace('"flight_id":0', '"flight_id":9007199254740993')
    expect(parse(text).inputs.flight_id!.data).toEqual(BigInt64Array.from([9007199254740993n]))
  })

  it('needs {"instances": [...]} with at least one row', () => {
    for (const text of ['{"instances": []}', '{"rows": [{}]}', '[{}]']) {
      const e = protocolFailure(() => parse(text))
      expect([e.status, e.message]).toEqual([
        400,
        'the request body must be {"instances": [...]} with at least one row object',
      ])
    }
    expect(protocolFailure(() => parse('{"instances": [')).message).toBe(
      "malformed JSON: Array item or end of array ']' expected but reached end of input at position 15 (line 1, column 16)",
    )
  })

  it('names a missing field, its row and its type', () => {
    const { distance: _, ...noDistance } = row
    const e = protocolFailure(() => parse(body([row, row, row, noDistance])))
    expect(e.message).toBe('1 problem in "instances": instances[3]: missing field "distance" (FP32)')
    expect(e.details).toEqual([
      { row: 3, field: 'distance', message: 'instances[3]: missing field "distance" (FP32)' },
    ])
  })

  it('names a wrong type: field, row, expected type and what came', () => {
    const e = protocolFailure(() =>
      parse(
        body([
          { ...row, distance: 'far' },
          { ...row, flight_id: 1.5, night: 'no' },
          { ...row, origin: true },
        ]),
      ),
    )
    expect(e.details.map((d) => d.message)).toEqual([
      'instances[0]: field "distance" expects a number (FP32), got string "far"',
      'instances[1]: field "flight_id" expects an integer (INT64), got number 1.5',
      'instances[1]: field "night" expects a boolean (BOOL), got string "no"',
      'instances[2]: field "origin" expects a string (BYTES), got boolean true',
    ])
    expect(e.message).toBe(`4 problems in "instances": ${e.details.map((d) => d.message).join('; ')}`)
  })

  it('null is refused where the type has no missing value; out-of-range numbers too', () => {
    const e = protocolFailure(() =>
      parse(body([{ ...row, flight_id: null, night: null }, { ...row, distance: 1e39 }, 'x'])),
    )
    expect(e.details).toEqual([
      {
        row: 0,
        field: 'flight_id',
        message: 'instances[0]: field "flight_id" is null, but INT64 has no missing value',
      },
      {
        row: 0,
        field: 'night',
        message: 'instances[0]: field "night" is null, but BOOL has no missing value',
      },
      {
        row: 1,
        field: 'distance',
        message: 'instances[1]: field "distance" (1e+39) is beyond the range of FP32',
      },
      { row: 2, field: null, message: 'instances[2]: expected an object of field values, got string "x"' },
    ])
  })

  it('lists at most 10 problems and counts the rest', () => {
    const rows = Array.from({ length: 12 }, () => ({ ...row, distance: 'far' }))
    const e = protocolFailure(() => parse(body(rows)))
    expect(e.details).toHaveLength(10)
    expect(e.details[9]!.message).toBe(
      'instances[9]: field "distance" expects a number (FP32), got string "far"',
    )
    expect(e.message.startsWith('12 problems in "instances": instances[0]: field "distance"')).toBe(true)
    expect(
      e.message.endsWith(
        'instances[9]: field "distance" expects a number (FP32), got string "far"; and 2 more',
      ),
    ).toBe(true)
  })
})

describe('instancesResponse', () => {
  it('gives one object per row: a scalar for one value per row, an array for wider outputs', () => {
    const outputs: Record<string, OutputTensor> = {
      probabilities: { datatype: 'FP32', dims: [2, 2], data: Float32Array.from([0.1, 0.9, 0.75, 0.25]) },
      label: { datatype: 'INT64', dims: [2], data: BigInt64Array.from([1n, 0n]) },
    }
    const rows = instancesResponse(outputs, signature)
    expect(rows).toEqual([
      { label: 1, probabilities: [0.1, 0.9] },
      { label: 0, probabilities: [0.75, 0.25] },
    ])
    expect(JSON.stringify(rows)).toBe(
      '[{"label":1,"probabilities":[0.1,0.9]},{"label":0,"probabilities":[0.75,0.25]}]',
    )
  })

  it('writes a regressor’s [N, 1] prediction as a number per row, NaN as null', () => {
    const sig: Signature = { inputs: [], outputs: [{ name: 'prediction', datatype: 'FP32', shape: [-1, 1] }] }
    const prediction: OutputTensor = {
      datatype: 'FP32',
      dims: [2, 1],
      data: Float32Array.from([12.5, Number.NaN]),
    }
    expect(instancesResponse({ prediction }, sig)).toEqual([{ prediction: 12.5 }, { prediction: null }])
  })

  it('keeps an INT64 label beyond 2^53 exact in the JSON text', () => {
    const outputs: Record<string, OutputTensor> = {
      probabilities: { datatype: 'FP32', dims: [1, 2], data: Float32Array.from([0.5, 0.5]) },
      label: { datatype: 'INT64', dims: [1], data: BigInt64Array.from([9007199254740993n]) },
    }
    expect(stringifyJson({ predictions: instancesResponse(outputs, signature) })).toBe(
      '{"predictions":[{"label":9007199254740993,"probabilities":[0.5,0.5]}]}',
    )
  })
})
