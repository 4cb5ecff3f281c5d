import { describe, expect, it } from 'vitest'
import { tabular } from '../../test/support/tabular.js'
import { frameFromColumns } from '../data/build.js'
import { cell, type Frame } from '../data/frame.js'
import { checkedKernel, disagreement } from './kernel.js'
import { ElemType, encodeModel, int } from './onnx/graph.js'
import { compileKernel } from './onnx/kernel.js'
import { OnnxModel, type PlainTensor } from './runtime.js'
import { train } from './train.js'

/** A frame's columns as feeds: numbers as float32 (missing → NaN), strings (missing → ''). */
function feeds(frame: Frame, names: string[]): Record<string, PlainTensor> {
  const out: Record<string, PlainTensor> = {}
  for (const name of names) {
    const c = frame.columns.find((x) => x.name === name)!
    const dims = [frame.rows, 1]
    out[name] =
      c.kind === 'number'
        ? {
            type: 'float32',
            dims,
            data: Float32Array.from(c.values, (v, r) => (c.missing[r] ? Number.NaN : v)),
          }
        : {
            type: 'string',
            dims,
            data: Array.from({ length: frame.rows }, (_, r) => (c.missing[r] ? '' : String(cell(c, r)))),
          }
  }
  return out
}

const frame = tabular(3000, 5)
const unseen = frameFromColumns({
  x1: [1.5, null, Number.NaN, -2, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3e38],
  x2: [3, 4, 5, 6, 0, -1e6, 23],
  city: ['paris', 'atlantis', null, 'nice', '', 'PARIS', 'brest'],
})

describe('the JavaScript kernel for linear graphs', () => {
  const cases = [
    {
      what: 'logistic, string labels, numbers and a category',
      algo: 'logistic',
      target: 'yes',
      features: ['x1', 'x2', 'city'],
    },
    { what: 'logistic, numbers only', algo: 'logistic', target: 'yes', features: ['x1', 'x2'] },
    { what: 'logistic, one category only', algo: 'logistic', target: 'yes', features: ['city'] },
    { what: 'linear regression', algo: 'linear', target: 'amount', features: ['x1', 'x2', 'city'] },
  ] as const
  for (const c of cases) {
    it(`${c.what}: checked at load, then gives onnxruntime's outputs on every row`, async () => {
      const result = train(frame, { algo: c.algo, target: c.target, features: [...c.features], seed: 3 })
      const onnx = await OnnxModel.load(result.onnx)
      const checked = await checkedKernel(onnx)
      expect(checked).toHaveProperty('kernel')
      if (!('kernel' in checked)) return
      for (const data of [frame, unseen]) {
        const input = feeds(data, [...c.features])
        const ours = checked.kernel(input)
        const reference = await onnx.runTensors(input)
        expect(Object.keys(ours).sort()).toEqual(Object.keys(reference).sort())
        expect(disagreement(ours, reference)).toBeNull()
      }
      await onnx.close()
    })
  }

  it('keeps no result of one call in the next: each call gives arrays of its own', async () => {
    const result = train(frame, { algo: 'logistic', target: 'yes', features: ['x1', 'x2', 'city'], seed: 3 })
    const onnx = await OnnxModel.load(result.onnx)
    const checked = await checkedKernel(onnx)
    if (!('kernel' in checked)) throw new Error(checked.unsupported)
    const first = feeds(frame, ['x1', 'x2', 'city'])
    const a = checked.kernel(first)
    const before = Float32Array.from(a.probabilities!.data as Float32Array)
    checked.kernel(feeds(unseen, ['x1', 'x2', 'city'])) // other rows, other sizes
    checked.kernel(first)
    expect(a.probabilities!.data).toEqual(before)
    expect(disagreement(checked.kernel(first), await onnx.runTensors(first))).toBeNull()
    await onnx.close()
  })

  it('gives numeric class labels as int64, like onnxruntime', async () => {
    const numeric = frameFromColumns({
      x: Array.from({ length: 400 }, (_, i) => (i * 37) % 100),
      y: Array.from({ length: 400 }, (_, i) => (((i * 37) % 100) + (i % 7) * 9 > 60 ? 1 : 0)),
    })
    const result = train(numeric, { algo: 'logistic', target: 'y', features: ['x'], seed: 1 })
    const onnx = await OnnxModel.load(result.onnx)
    const checked = await checkedKernel(onnx)
    if (!('kernel' in checked)) throw new Error(checked.unsupported)
    const out = checked.kernel({ x: { type: 'float32', dims: [2, 1], data: Float32Array.of(5, 95) } })
    expect(out.label).toEqual({ type: 'int64', dims: [2], data: BigInt64Array.of(0n, 1n) })
    await onnx.close()
  })

  it('leaves other graphs to onnxruntime, saying why', async () => {
    const gbdt = train(frame, {
      algo: 'gbdt',
      target: 'yes',
      features: ['x1', 'x2'],
      seed: 3,
      params: { max_iter: 5 },
    })
    expect(compileKernel(gbdt.onnx)).toEqual({
      unsupported: expect.stringMatching(/ai\.onnx\.ml\.TreeEnsemble/),
    })
    expect(compileKernel(new Uint8Array(17 << 20))).toEqual({
      unsupported: 'the file is larger than 16 MB; the kernel runs small linear graphs',
    })
    expect(compileKernel(Uint8Array.of(1, 2, 3, 250))).toEqual({
      unsupported: expect.stringMatching(/does not decode as ONNX/),
    })
    const rowsConcat = encodeModel({
      name: 'rows',
      inputs: [
        { name: 'a', elemType: ElemType.FLOAT, shape: ['N', 1] },
        { name: 'b', elemType: ElemType.FLOAT, shape: ['N', 1] },
      ],
      outputs: [{ name: 'y', elemType: ElemType.FLOAT, shape: ['M', 1] }],
      nodes: [{ op: 'Concat', inputs: ['a', 'b'], outputs: ['y'], attrs: { axis: int(0) } }],
    })
    expect(compileKernel(rowsConcat)).toEqual({
      unsupported: 'Concat: only axis 1 (columns of a [N, k] matrix) is supported',
    })
  })

  it('compares outputs as the load check does: types, shapes, labels exactly, numbers to 1e-5', () => {
    const probs = (data: number[]): Record<string, PlainTensor> => ({
      p: { type: 'float32', dims: [data.length], data: Float32Array.from(data) },
    })
    expect(disagreement(probs([0.25, Number.NaN, 1000]), probs([0.250001, Number.NaN, 1000.005]))).toBeNull()
    expect(disagreement(probs([0.25]), probs([0.2502]))).toMatch(
      /output "p" .*element 0 is 0.25 where onnxruntime gives 0.250/,
    )
    expect(disagreement(probs([Number.NaN]), probs([0]))).toMatch(/element 0 is NaN/)
    expect(
      disagreement(probs([1, 2]), { p: { type: 'float32', dims: [1, 2], data: Float32Array.of(1, 2) } }),
    ).toMatch(/float32 \[2\] where onnxruntime gives float32 \[1,2\]/)
    const labels = (data: string[]): Record<string, PlainTensor> => ({
      label: { type: 'string', dims: [data.length], data },
    })
    expect(disagreement(labels(['yes', 'no']), labels(['yes', 'no']))).toBeNull()
    expect(disagreement(labels(['yes', 'no']), labels(['yes', 'yes']))).toMatch(
      /element 1 is no where onnxruntime gives yes/,
    )
    expect(disagreement({}, labels(['yes']))).toMatch(/output "label" disagrees with onnxruntime: missing/)
  })
})
