import { describe, expect, it } from 'vitest'
import { readBinaryResponse } from '../../../test/support/binary-request.js'
import type { Signature } from '../../core/types.js'
import { ProtocolError } from './errors.js'
import { type OutputTensor, shortestFloat32 } from './outputs.js'
import { parseInferRequest } from './request.js'
import { buildBinaryInferResponse, buildInferResponse } from './response.js'

const signature: Signature = {
  inputs: [{ name: 'flight_id', datatype: 'INT64', shape: [-1] }],
  outputs: [
    { name: 'label', datatype: 'INT64', shape: [-1] },
    { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
  ],
}
const outputs: Record<string, OutputTensor> = {
  probabilities: { datatype: 'FP32', dims: [2, 2], data: Float32Array.from([0.1, 0.9, 0.25, 0.75]) },
  label: { datatype: 'INT64', dims: [2], data: BigInt64Array.from([1n, 0n]) },
}
const respond = (over: Partial<Parameters<typeof buildInferResponse>[0]> = {}) =>
  buildInferResponse({
    modelName: 'flights',
    modelVersion: '3',
    id: 'r1',
    outputs,
    requested: null,
    signature,
    ...over,
  })

describe('buildInferResponse', () => {
  it('writes the protocol response: outputs in the signature order, flat data, id echoed', () => {
    expect(respond()).toBe(
      '{"model_name":"flights","model_version":"3","id":"r1","outputs":[' +
        '{"name":"label","shape":[2],"datatype":"INT64","data":[1,0]},' +
        '{"name":"probabilities","shape":[2,2],"datatype":"FP32","data":[0.1,0.9,0.25,0.75]}]}',
    )
  })

  it('leaves out id when the request had none, and writes only the requested outputs', () => {
    expect(JSON.parse(respond({ id: null, requested: ['probabilities'] }))).toEqual({
      model_name: 'flights',
      model_version: '3',
      outputs: [{ name: 'probabilities', shape: [2, 2], datatype: 'FP32', data: [0.1, 0.9, 0.25, 0.75] }],
    })
    expect(JSON.parse(respond({ parameters: { note: 'x' } })).parameters).toEqual({ note: 'x' })
  })

  it('writes NaN and ±Infinity as null, and every datatype as its JSON type', () => {
    const mixed: Record<string, OutputTensor> = {
      f32: {
        datatype: 'FP32',
        dims: [3],
        data: Float32Array.from([Number.NaN, Number.POSITIVE_INFINITY, -2]),
      },
      f64: { datatype: 'FP64', dims: [3], data: Float64Array.from([0.1, Number.NEGATIVE_INFINITY, 1 / 3]) },
      ok: { datatype: 'BOOL', dims: [2], data: Uint8Array.from([1, 0]) },
      name: { datatype: 'BYTES', dims: [1], data: ['a"b'] },
      n: { datatype: 'INT32', dims: [1], data: Int32Array.from([-7]) },
    }
    const sig: Signature = {
      inputs: [],
      outputs: Object.keys(mixed).map((name) => ({ name, datatype: mixed[name]!.datatype, shape: [-1] })),
    }
    const data = (
      JSON.parse(respond({ outputs: mixed, signature: sig })).outputs as { data: unknown[] }[]
    ).map((o) => o.data)
    expect(data).toEqual([[null, null, -2], [0.1, null, 1 / 3], [true, false], ['a"b'], [-7]])
  })

  it('INT64 round trip: 9007199254740993 in, exactly the same literal out', () => {
    const body =
      '{"inputs":[{"name":"flight_id","shape":[2],"datatype":"INT64","data":[9007199254740993,-1]}]}'
    const req = parseInferRequest(body, signature)
    const echo = req.inputs.flight_id!
    const text = respond({
      outputs: { ...outputs, label: { datatype: 'INT64', dims: echo.dims, data: echo.data } },
    })
    expect(text).toContain('"datatype":"INT64","data":[9007199254740993,-1]}')
  })

  it('an output the model did not give is the server’s fault (500)', () => {
    const e = (() => {
      try {
        respond({ outputs: { label: outputs.label! } })
      } catch (err) {
        return err as ProtocolError
      }
    })()
    expect(e).toBeInstanceOf(ProtocolError)
    expect([e!.status, e!.message]).toEqual([500, 'the model gave no output "probabilities"'])
  })
})

describe('shortestFloat32', () => {
  it('prints the shortest decimal that reads back as the same float32', () => {
    const cases: [number, string][] = [
      [0.1, '0.1'],
      [1 / 3, '0.33333334'],
      [16777216, '16777216'],
      [3.4028234663852886e38, '3.4028235e+38'],
      [1e-45, '1e-45'],
      [-2.5, '-2.5'],
    ]
    for (const [v, text] of cases) expect(JSON.stringify(shortestFloat32(Math.fround(v)))).toBe(text)
    expect(JSON.stringify(Math.fround(0.1))).toBe('0.10000000149011612') // what it avoids
  })

  it('round-trips every float32 it writes, in at most 9 significant digits, and no shorter one exists', () => {
    // The obvious search, one digit at a time: what the shortcut (starting at 6 digits) must equal.
    const shortest = (v: number) => {
      for (let digits = 1; digits < 9; digits++) {
        const d = Number(v.toPrecision(digits))
        if (Math.fround(d) === v) return d
      }
      return Number(v.toPrecision(9))
    }
    const bits = new Uint32Array(1)
    const f = new Float32Array(bits.buffer)
    let seed = 7
    for (let i = 0; i < 20_000; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
      bits[0] = seed
      // Every 8th value is a "round" one (few digits), where starting the search at 6 digits matters.
      const v = i % 8 === 0 ? Math.fround((seed % 1000) / 10 ** (seed % 7)) : f[0]!
      if (!Number.isFinite(v)) continue
      const d = shortestFloat32(v)!
      expect(d).toBe(shortest(v))
      expect(Math.fround(Number(JSON.stringify(d)))).toBe(v)
      const significant = JSON.stringify(d)
        .replace(/^-|e.*$|\./g, '')
        .replace(/^0+|0+$/g, '')
      expect(significant.length).toBeLessThanOrEqual(9)
    }
  })
})

describe('buildBinaryInferResponse', () => {
  const respondBinary = (binary: string[], requested: string[] | null = null) =>
    buildBinaryInferResponse({
      modelName: 'flights',
      modelVersion: '3',
      id: 'r1',
      outputs,
      requested,
      signature,
      binary: new Set(binary),
    })

  it('writes binary outputs after the JSON, with binary_data_size in place of data', () => {
    const { body, headerLength } = respondBinary(['label', 'probabilities'])
    expect(body.subarray(0, headerLength).toString()).toBe(
      '{"model_name":"flights","model_version":"3","id":"r1","outputs":[' +
        '{"name":"label","shape":[2],"datatype":"INT64","parameters":{"binary_data_size":16}},' +
        '{"name":"probabilities","shape":[2,2],"datatype":"FP32","parameters":{"binary_data_size":16}}]}',
    )
    expect(body.length).toBe(headerLength + 32)
    const { values } = readBinaryResponse(body, headerLength)
    expect(values).toEqual({
      label: [1n, 0n],
      probabilities: Array.from(Float32Array.from([0.1, 0.9, 0.25, 0.75])),
    })
  })

  it('keeps the outputs not asked in binary as JSON data, in the requested order', () => {
    const { body, headerLength } = respondBinary(['label'], ['probabilities', 'label'])
    const { json, values } = readBinaryResponse(body, headerLength)
    expect(json.outputs.map((o) => [o.name, o.data ?? o.parameters])).toEqual([
      ['probabilities', [0.1, 0.9, 0.25, 0.75]],
      ['label', { binary_data_size: 16 }],
    ])
    expect(values).toEqual({ label: [1n, 0n] })
  })
})
