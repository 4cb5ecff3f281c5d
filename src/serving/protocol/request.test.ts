import { describe, expect, it } from 'vitest'
import { protocolFailure } from '../../../test/support/protocol.js'
import type { Signature } from '../../core/types.js'
import { parseInferRequest } from './request.js'

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
    // The id is echoed in the x-request-id header: a newline there would end the header.
    for (const id of ['a\nb', 'caf\u00e9', '\u7528\u6237']) {
      expect(refusal(request([distance, origin, flightId], { id }))).toMatch(
        /^"id" ".*" has a character an HTTP header cannot carry; .*x-request-id/,
      )
    }
    expect(
      parseInferRequest(request([distance, origin, flightId], { id: 'run 7\t#a-b' }), signature).id,
    ).toBe('run 7\t#a-b')
    expect(refusal(request([distance, origin, flightId], { id: 'r'.repeat(20_000) }))).toBe(
      `"id" "${'r'.repeat(40)}…" is 20000 characters long; a request id has at most 256`,
    )
    expect(refusal(request([distance, origin, flightId], { id: ' r-1' }))).toMatch(
      /^"id" " r-1" starts or ends with a space or tab, which a header does not keep/,
    )
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

  it('coerces only without loss', () => {
    const fp64 = { ...distance, datatype: 'FP64', data: [0.5, 0.1] }
    expect(refusal(request([fp64, origin, flightId]))).toBe(
      'input "distance": element 1 (0.1) would lose precision as the model\'s FP32 (it would become 0.10000000149011612); send FP32 data to have it rounded',
    )
    const exact = parse(request([{ ...fp64, data: [0.5, 0.25] }, origin, { ...flightId, datatype: 'FP64' }]))
    expect(exact.inputs.distance!.data).toEqual(Float32Array.from([0.5, 0.25]))
    expect(exact.inputs.flight_id!.data).toEqual(BigInt64Array.from([1n, 2n]))
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
