import { describe, expect, it } from 'vitest'
import { binaryRequest, type Input } from '../../../test/support/binary-request.js'
import { protocolFailure } from '../../../test/support/protocol.js'
import type { Signature } from '../../core/types.js'
import { splitBinaryBody } from './binary.js'
import { parseInferRequest, type RequestOptions } from './request.js'

const signature: Signature = {
  inputs: [
    { name: 'distance', datatype: 'FP32', shape: [-1, 1] },
    { name: 'origin', datatype: 'BYTES', shape: [-1, 1] },
    { name: 'flight_id', datatype: 'INT64', shape: [-1] },
  ],
  outputs: [
    { name: 'label', datatype: 'INT64', shape: [-1] },
    { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
  ],
}
const EXPECTED = 'distance (FP32 [N, 1]), origin (BYTES [N, 1]), flight_id (INT64 [N])'

const distance = { name: 'distance', shape: [2, 1], datatype: 'FP32', data: [900, 1.5] }
const origin = { name: 'origin', shape: [2, 1], datatype: 'BYTES', data: ['ORD', 'JFK'] }
const flightId = { name: 'flight_id', shape: [2], datatype: 'INT64', data: [1, 2] }
const request = (inputs: unknown[], extra: object = {}) => JSON.stringify({ inputs, ...extra })
const parse = (body: string) => parseInferRequest(body, signature)

/** The message of the 400 that `body` gets. */
function refusal(body: string): string {
  const e = protocolFailure(() => parse(body))
  expect(e.status).toBe(400)
  return e.message
}

describe('parseInferRequest: accepted requests', () => {
  it('gives every model input converted and shaped as the model declares it', () => {
    const req = parse(request([distance, origin, flightId], { id: 'r1' }))
    expect(req).toEqual({
      id: 'r1',
      rows: 2,
      outputs: null,
      binaryOutputs: new Set(),
      parameters: {},
      inputs: {
        distance: { datatype: 'FP32', dims: [2, 1], data: Float32Array.from([900, 1.5]) },
        origin: { datatype: 'BYTES', dims: [2, 1], data: ['ORD', 'JFK'] },
        flight_id: { datatype: 'INT64', dims: [2], data: BigInt64Array.from([1n, 2n]) },
      },
    })
  })

  it('reads nested (row-major) data the same as flat data', () => {
    const nested = parse(
      request([{ ...distance, data: [[900], [1.5]] }, { ...origin, data: [['ORD'], ['JFK']] }, flightId]),
    )
    expect(nested).toEqual(parse(request([distance, origin, flightId])))
  })

  it('takes [N] for an [N, 1] input and [N, 1] for an [N] input', () => {
    const req = parse(request([{ ...distance, shape: [2] }, origin, { ...flightId, shape: [2, 1] }]))
    expect(req.inputs.distance!.dims).toEqual([2, 1])
    expect(req.inputs.flight_id!.dims).toEqual([2])
  })

  it('keeps INT64 beyond 2^53 exact', () => {
    const body = request([distance, origin, { ...flightId, data: [0, 1] }]).replace(
      '"data":[0,1]',
      '"data":[9007199254740993,-9223372036854775808]',
    )
    expect(parse(body).inputs.flight_id!.data).toEqual(BigInt64Array.from([9007199254740993n, -(2n ** 63n)]))
  })

  it('returns the requested outputs and the parameters as plain values', () => {
    const req = parse(
      request([distance, origin, flightId], {
        outputs: [{ name: 'probabilities' }, { name: 'label', parameters: {} }],
        parameters: { threshold: 0.5, tag: 'x' },
      }),
    )
    expect(req.outputs).toEqual(['probabilities', 'label'])
    expect(req.parameters).toEqual({ threshold: 0.5, tag: 'x' })
    expect(req.id).toBeNull()
    expect(parse(request([distance, origin, flightId], { outputs: [] })).outputs).toBeNull()
  })
})

describe('parseInferRequest: refused requests', () => {
  it('malformed JSON says where', () => {
    expect(refusal('{"inputs": [}')).toBe(
      "malformed JSON: Array item expected but got '}' at position 12 (line 1, column 13)",
    )
  })

  it('the body must be an object with a non-empty "inputs" array of objects', () => {
    expect(refusal('[]')).toBe('the request body must be a JSON object with "inputs"')
    expect(refusal('{}')).toBe('"inputs" must be a non-empty array')
    expect(refusal('{"inputs": []}')).toBe('"inputs" must be a non-empty array')
    expect(refusal('{"inputs": [7]}')).toBe(
      'inputs[0] must be an object with "name", "shape", "datatype" and "data"',
    )
    expect(refusal(request([{ ...distance, name: 3 }]))).toBe('inputs[0]: "name" must be a string')
    expect(refusal(request([distance, origin, flightId], { id: 7 }))).toBe('"id" must be a string')
    // An empty id is no id (the server generates one), as an empty x-request-id header is.
    expect(parseInferRequest(request([distance, origin, flightId], { id: '' }), signature).id).toBeNull()
    expect(refusal(request([distance, origin, flightId], { parameters: [] }))).toBe(
      '"parameters" must be an object',
    )
  })

  it('a missing input is named, with the inputs the model expects', () => {
    expect(refusal(request([distance, flightId]))).toBe(
      `missing input "origin"; the model's inputs are ${EXPECTED}`,
    )
    expect(refusal(request([flightId]))).toBe(
      `missing inputs "distance", "origin"; the model's inputs are ${EXPECTED}`,
    )
  })

  it('an unknown or duplicate input is refused', () => {
    expect(refusal(request([distance, origin, flightId, { ...distance, name: 'dist' }]))).toBe(
      `unknown input "dist"; the model's inputs are ${EXPECTED}`,
    )
    expect(refusal(request([distance, origin, distance, flightId]))).toBe(
      'input "distance" is given more than once',
    )
  })

  it('the shape must hold exactly the data', () => {
    expect(refusal(request([{ ...distance, data: [1, 2, 3] }, origin, flightId]))).toBe(
      'input "distance": shape [2, 1] holds 2 elements, but "data" has 3',
    )
    // Nested data must follow the shape level by level.
    const nested = (data: unknown[], shape = [2, 1]) =>
      refusal(request([{ ...distance, shape, data }, origin, flightId]))
    expect(nested([[1], [2], [3]])).toBe(
      'input "distance": nested "data" must follow shape [2, 1]; data has 3 elements, not 2',
    )
    expect(nested([[1, 2], []])).toBe(
      'input "distance": nested "data" must follow shape [2, 1]; data[0] has 2 elements, not 1',
    )
    expect(nested([[1], 2])).toBe(
      'input "distance": nested "data" must follow shape [2, 1]; data[1] is a value where the shape has an array of 1',
    )
    expect(nested([[[1]], [2]])).toBe(
      'input "distance": nested "data" must follow shape [2, 1]; data[0][0] is an array deeper than the shape',
    )
    expect(nested([[1], [2]], [2])).toBe(
      'input "distance": nested "data" must follow shape [2]; data[0] is an array deeper than the shape',
    )
    // Arrays nested far deeper than any shape are refused at the shape's depth, not overflowed.
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`
    const text = request([{ ...distance, data: 'DEEP' }, origin, flightId]).replace('"DEEP"', `[${deep},[2]]`)
    expect(refusal(text)).toBe(
      'input "distance": nested "data" must follow shape [2, 1]; data[0][0] is an array deeper than the shape',
    )
    expect(nested([1], new Array(17).fill(1))).toBe(
      'input "distance": "shape" has 17 dimensions; at most 16 are read',
    )
    expect(
      parseInferRequest(request([{ ...distance, data: [[1], [2]] }, origin, flightId]), signature).inputs
        .distance!.data,
    ).toEqual(Float32Array.of(1, 2))
    expect(refusal(request([{ ...distance, shape: [-1, 1] }, origin, flightId]))).toBe(
      'input "distance": "shape" must be an array of non-negative integers',
    )
    expect(refusal(request([{ ...distance, data: 'AAAA' }, origin, flightId]))).toBe(
      'input "distance": "data" must be an array (flat or nested, row-major)',
    )
  })

  it('the shape must be one value per row, with as many rows as the other inputs', () => {
    expect(refusal(request([{ ...distance, shape: [1, 2] }, origin, flightId]))).toBe(
      `input "distance": shape [1, 2] does not fit the model's FP32 [N, 1]; send one value per row, as [N] or [N, 1] with N ≥ 1`,
    )
    expect(refusal(request([{ ...distance, shape: [0, 1], data: [] }, origin, flightId]))).toBe(
      `input "distance": shape [0, 1] does not fit the model's FP32 [N, 1]; send one value per row, as [N] or [N, 1] with N ≥ 1`,
    )
    expect(refusal(request([distance, { ...origin, shape: [3, 1], data: ['A', 'B', 'C'] }, flightId]))).toBe(
      'input "origin" has 3 rows, but input "distance" has 2; every input needs the same number of rows',
    )
  })

  it('a model with a fixed batch size takes exactly that many rows', () => {
    const fixed: Signature = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1] }], outputs: [] }
    const e = protocolFailure(() =>
      parseInferRequest(request([{ name: 'x', shape: [2, 1], datatype: 'FP32', data: [1, 2] }]), fixed),
    )
    expect(e.message).toBe(
      'input "x": shape [2, 1] does not fit the model\'s FP32 [1, 1]; send one value per row, as [N] or [N, 1] with N ≥ 1',
    )
  })

  it('the datatype must be an Open Inference Protocol one, and the values must fit it', () => {
    expect(refusal(request([{ ...distance, datatype: 'FLOAT' }, origin, flightId]))).toBe(
      'input "distance": datatype "FLOAT" is not an Open Inference Protocol datatype (BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES)',
    )
    expect(refusal(request([{ ...distance, datatype: 'FP64', data: [1, 'far'] }, origin, flightId]))).toBe(
      'input "distance": element 1 is string "far", but FP64 data must be numbers',
    )
    expect(refusal(request([distance, { ...origin, datatype: 'FP32', data: [1, 2] }, flightId]))).toBe(
      'input "origin": the model takes BYTES, and FP32 data cannot become BYTES; send BYTES data',
    )
  })

  it("rounds float data to the model's float type; other conversions only without loss", () => {
    // numpy's default float64, declared FP64 for an FP32 input: rounded to nearest, whatever the value.
    const fp64 = { ...distance, datatype: 'FP64', data: [0.5, 0.3] }
    const rounded = parse(request([fp64, origin, { ...flightId, datatype: 'FP64' }]))
    expect(rounded.inputs.distance!.data).toEqual(Float32Array.of(0.5, 0.3))
    expect(rounded.inputs.distance!.data[1]).toBe(Math.fround(0.3))
    expect(rounded.inputs.flight_id!.data).toEqual(BigInt64Array.from([1n, 2n]))
    expect(refusal(request([distance, origin, { ...flightId, datatype: 'FP64', data: [1, 2.5] }]))).toBe(
      'input "flight_id": element 1 (2.5) is not an integer, so it cannot become the model\'s INT64',
    )
  })

  it("with strict datatypes, refuses any input declared other than as the model's, naming both", () => {
    const strict: RequestOptions = { strictDatatypes: true }
    const fp64 = { ...distance, datatype: 'FP64', data: [0.5, 0.25] }
    const e = protocolFailure(() => parseInferRequest(request([fp64, origin, flightId]), signature, strict))
    expect([e.status, e.message]).toEqual([
      400,
      'input "distance": the request declares FP64, but the model\'s input is FP32; serving.strict_datatypes refuses any difference, so send FP32 data',
    ])
    expect(parseInferRequest(request([distance, origin, flightId]), signature, strict).rows).toBe(2)
  })

  it('requested outputs must be model outputs, each once', () => {
    const base = [distance, origin, flightId]
    expect(refusal(request(base, { outputs: [{ name: 'score' }] }))).toBe(
      `unknown output "score"; the model's outputs are label (INT64 [N]), probabilities (FP32 [N, 2])`,
    )
    expect(refusal(request(base, { outputs: [{ name: 'label' }, { name: 'label' }] }))).toBe(
      'output "label" is requested more than once',
    )
    expect(refusal(request(base, { outputs: ['label'] }))).toBe('outputs[0]: "name" must be a string')
    expect(refusal(request(base, { outputs: { name: 'label' } }))).toBe(
      '"outputs" must be an array of {"name": …}',
    )
  })

  it('a model input sluice cannot feed is the server’s problem (500)', () => {
    const image: Signature = {
      inputs: [{ name: 'img', datatype: 'FP32', shape: [-1, 3, 224, 224] }],
      outputs: [],
    }
    const e = protocolFailure(() =>
      parseInferRequest(request([{ name: 'img', shape: [1], datatype: 'FP32', data: [1] }]), image),
    )
    expect([e.status, e.message]).toEqual([
      500,
      'model input "img" has shape [-1, 3, 224, 224]; sluice serves one value per row ([N] or [N, 1])',
    ])
  })
})

describe('parseInferRequest: NaN and Infinity tokens', () => {
  it("reads them as the numbers they name, as Python's json does", () => {
    const body = request([{ ...distance, data: [0, 0] }, origin, flightId]).replace(
      '"data":[0,0]',
      '"data":[NaN, -Infinity]',
    )
    const data = parse(body).inputs.distance!.data as Float32Array
    expect(data[0]).toBeNaN()
    expect(data[1]).toBe(Number.NEGATIVE_INFINITY)
  })

  it('an integer input refuses them with the element', () => {
    const body = request([distance, origin, { ...flightId, datatype: 'FP64', data: [1, 0] }]).replace(
      '"data":[1,0]',
      '"data":[1,NaN]',
    )
    expect(refusal(body)).toBe(
      'input "flight_id": element 1 (NaN) is not an integer, so it cannot become the model\'s INT64',
    )
  })
})

describe('parseInferRequest: binary tensor data', () => {
  const binaryDistance: Input = { name: 'distance', shape: [2, 1], datatype: 'FP32', binary: [900, 1.5] }
  const binaryOrigin: Input = { name: 'origin', shape: [2, 1], datatype: 'BYTES', binary: ['ORD', 'JFK'] }
  const binaryFlight: Input = { name: 'flight_id', shape: [2], datatype: 'INT64', binary: [1n, 2n] }
  const parseBinary = (inputs: Input[], extra: Record<string, unknown> = {}, headerLength?: number) => {
    const r = binaryRequest(inputs, extra)
    const { json, tail } = splitBinaryBody(r.body, String(headerLength ?? r.headerLength))
    return parseInferRequest(json, signature, { binary: tail })
  }
  const binaryRefusal = (inputs: Input[], extra: Record<string, unknown> = {}) => {
    const e = protocolFailure(() => parseBinary(inputs, extra))
    expect(e.status).toBe(400)
    return e.message
  }

  it('reads every input from the binary data, the same as from JSON', () => {
    const req = parseBinary([binaryDistance, binaryOrigin, binaryFlight], { id: 'b-1' })
    expect(req).toEqual({ ...parse(request([distance, origin, flightId], { id: 'b-1' })) })
  })

  it('reads a mix of JSON and binary inputs', () => {
    const req = parseBinary([distance, binaryOrigin, flightId])
    expect(req.inputs.origin!.data).toEqual(['ORD', 'JFK'])
    expect(req.inputs.distance!.data).toEqual(Float32Array.of(900, 1.5))
  })

  it("converts binary data as it converts JSON: FP64 rounded to the model's FP32, FP16 widened exactly", () => {
    const fp64 = parseBinary([
      { ...binaryDistance, datatype: 'FP64', binary: [0.3, Number.NaN] },
      origin,
      flightId,
    ])
    expect((fp64.inputs.distance!.data as Float32Array)[0]).toBe(Math.fround(0.3))
    expect((fp64.inputs.distance!.data as Float32Array)[1]).toBeNaN()
    // FP16 bits: 0x3555 is 0.333251953125, 0xfc00 is -Infinity.
    const fp16 = parseBinary([
      { ...binaryDistance, datatype: 'FP16', binary: [0x3555, 0xfc00] },
      origin,
      flightId,
    ])
    expect(fp16.inputs.distance!.data).toEqual(Float32Array.of(0.333251953125, Number.NEGATIVE_INFINITY))
  })

  it("answers the outputs asked in binary: per output, or all by the request's binary_data_output", () => {
    const inputs = [distance, origin, flightId]
    const binaryOf = (extra: Record<string, unknown>) => [...parse(request(inputs, extra)).binaryOutputs]
    expect(binaryOf({})).toEqual([])
    expect(binaryOf({ parameters: { binary_data_output: true } })).toEqual(['label', 'probabilities'])
    expect(
      binaryOf({
        outputs: [{ name: 'label', parameters: { binary_data: true } }, { name: 'probabilities' }],
      }),
    ).toEqual(['label'])
    // binary_data on an output overrides the request's binary_data_output.
    expect(
      binaryOf({
        parameters: { binary_data_output: true },
        outputs: [{ name: 'label', parameters: { binary_data: false } }, { name: 'probabilities' }],
      }),
    ).toEqual(['probabilities'])
    expect(refusal(request(inputs, { parameters: { binary_data_output: 'yes' } }))).toBe(
      'parameters.binary_data_output must be true or false',
    )
    expect(refusal(request(inputs, { outputs: [{ name: 'label', parameters: { binary_data: 1 } }] }))).toBe(
      'output "label": parameters.binary_data must be true or false',
    )
  })

  it('refuses a binary_data_size that does not fit the shape, naming the input and both sizes', () => {
    // The JSON claims 12 bytes for distance, whose shape [2, 1] of FP32 takes 8.
    const json = JSON.stringify({
      inputs: [{ name: 'distance', shape: [2, 1], datatype: 'FP32', parameters: { binary_data_size: 12 } }],
    })
    expect(
      protocolFailure(() => parseInferRequest(json, signature, { binary: new Uint8Array(12) })).message,
    ).toBe('input "distance": parameters.binary_data_size is 12, but shape [2, 1] of FP32 takes 8 bytes')
  })

  it('refuses binary data that is short, or bytes no input accounts for', () => {
    const full = binaryRequest([binaryDistance, binaryOrigin, binaryFlight])
    const { json, tail } = splitBinaryBody(full.body, String(full.headerLength))
    expect(
      protocolFailure(() => parseInferRequest(json, signature, { binary: tail.subarray(0, 20) })).message,
    ).toBe(
      'input "origin": parameters.binary_data_size is 14, but only 12 bytes of binary data are left after the JSON and the inputs before it',
    )
    const longer = new Uint8Array(tail.length + 3)
    longer.set(tail)
    expect(protocolFailure(() => parseInferRequest(json, signature, { binary: longer })).message).toBe(
      `the body has ${tail.length + 3} bytes of binary data after the JSON, but the inputs' binary_data_size add up to ${tail.length}`,
    )
  })

  it('refuses binary_data_size without the header, or beside "data"', () => {
    const json = JSON.stringify({
      inputs: [{ ...distance, data: undefined, parameters: { binary_data_size: 8 } }, origin, flightId],
    })
    expect(refusal(json)).toBe(
      'input "distance" has parameters.binary_data_size, but the request has no Inference-Header-Content-Length header; send it with the length in bytes of the JSON that comes before the binary data',
    )
    expect(binaryRefusal([{ ...binaryDistance, data: [1, 2] }, binaryOrigin, binaryFlight])).toBe(
      'input "distance": give either "data" or parameters.binary_data_size, not both',
    )
    expect(
      binaryRefusal([{ ...distance, parameters: { binary_data_size: -1 } } as Input, origin, flightId]),
    ).toBe('input "distance": parameters.binary_data_size must be a whole number of bytes')
  })
})
