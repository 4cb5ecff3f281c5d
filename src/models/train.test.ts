import { describe, expect, it } from 'vitest'
import { tabular as dataset } from '../../test/support/tabular.js'
import { frameFromColumns } from '../data/build.js'
import type { Frame } from '../data/frame.js'
import { encodeFeatures, predictRaw, sigmoid } from './model.js'
import { OnnxModel } from './runtime.js'
import { train } from './train.js'

async function parity(frame: Frame, result: ReturnType<typeof train>) {
  const onnx = await OnnxModel.load(result.onnx)
  const out = await onnx.predictFrame(frame, { batchSize: 1000 })
  const raw = predictRaw(result.model, encodeFeatures(frame, result.model.features), frame.rows)
  await onnx.close()
  return { out, raw }
}

const features = ['x1', 'x2', 'city']

describe('built-in trainers', () => {
  const frame = dataset(4000, 1)
  const unseen = frameFromColumns({
    x1: [1.5, null, Number.NaN, -2],
    x2: [3, 4, 5, 6],
    city: ['paris', 'atlantis', null, 'nice'],
  })

  for (const algo of ['gbdt', 'logistic'] as const) {
    it(`${algo}: the ONNX graph predicts what the model predicts (within 1e-5), unseen categories included`, async () => {
      const result = train(frame, {
        algo,
        target: 'yes',
        features,
        seed: 7,
        params: algo === 'gbdt' ? { max_iter: 30 } : {},
      })
      expect(result.metrics.roc_auc).toBeGreaterThan(0.85)
      for (const data of [frame, unseen]) {
        const { out, raw } = await parity(data, result)
        const probs = out.probabilities!.data as Float32Array
        expect(out.probabilities!.rowShape).toEqual([2])
        const labels = out.label!.data as string[]
        for (let r = 0; r < data.rows; r++) {
          const p = sigmoid(raw[r]!)
          expect(Math.abs(probs[2 * r + 1]! - p)).toBeLessThan(1e-5)
          expect(Math.abs(probs[2 * r]! - (1 - p))).toBeLessThan(1e-5)
          expect(labels[r]).toBe(p > 0.5 ? 'yes' : 'no')
        }
      }
    })
  }

  for (const algo of ['gbdt', 'linear'] as const) {
    it(`${algo} regression: the ONNX graph predicts what the model predicts`, async () => {
      const result = train(frame, {
        algo,
        target: 'amount',
        features,
        seed: 7,
        params: algo === 'gbdt' ? { max_iter: 30 } : {},
      })
      expect(result.task).toBe('regression')
      expect(result.metrics.r2).toBeGreaterThan(0.9)
      const { out, raw } = await parity(frame, result)
      const pred = out.prediction!.data as Float32Array
      for (let r = 0; r < frame.rows; r++)
        expect(Math.abs(pred[r]! - raw[r]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(raw[r]!)))
    })
  }

  it('is deterministic: the same data, parameters and seed give a byte-identical ONNX file', () => {
    const a = train(frame, { algo: 'gbdt', target: 'yes', features, seed: 3, params: { max_iter: 10 } })
    const b = train(frame, { algo: 'gbdt', target: 'yes', features, seed: 3, params: { max_iter: 10 } })
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true)
    const c = train(frame, { algo: 'gbdt', target: 'yes', features, seed: 4, params: { max_iter: 10 } })
    expect(Buffer.from(a.onnx).equals(Buffer.from(c.onnx))).toBe(false)
  })

  it('grows depth-wise when asked, within max_depth', () => {
    const r = train(frame, {
      algo: 'gbdt',
      target: 'yes',
      features,
      seed: 3,
      params: { max_iter: 5, growth: 'depth', max_depth: 3 },
    })
    if (r.model.algo !== 'gbdt') throw new Error('gbdt expected')
    const depth = (t: (typeof r.model.trees)[number], n = 0): number =>
      t.feature[n]! < 0 ? 0 : 1 + Math.max(depth(t, t.left[n]!), depth(t, t.right[n]!))
    for (const t of r.model.trees) expect(depth(t)).toBeLessThanOrEqual(3)
  })

  it('refuses bad inputs with errors that say what to fix', () => {
    const constant = frameFromColumns({ x: [1, 2, 3, 4], y: ['a', 'a', 'a', 'a'] })
    expect(() => train(constant, { algo: 'gbdt', target: 'y', features: ['x'], seed: 1 })).toThrow(
      /target column "y" is constant/,
    )
    expect(() => train(frame, { algo: 'gbdt', target: 'nope', features, seed: 1 })).toThrow(
      /target column "nope" is not in the data/,
    )
    const empty = frameFromColumns({ x: [null, null, null, null], y: [0, 1, 0, 1] })
    expect(() => train(empty, { algo: 'gbdt', target: 'y', features: ['x'], seed: 1 })).toThrow(
      /feature "x" has only missing values/,
    )
    expect(() =>
      train(frame, { algo: 'gbdt', target: 'yes', features, seed: 1, params: { depth: 3 } }),
    ).toThrow(/unknown parameter "depth" for gbdt; valid parameters: learning_rate, max_iter/)
    expect(() =>
      train(frame, { algo: 'gbdt', target: 'yes', features, seed: 1, params: { learning_rate: -1 } }),
    ).toThrow(/learning_rate/)
    expect(() => train(frame, { algo: 'logistic', target: 'amount', features, seed: 1 })).toThrow(
      /logistic trains classifiers/,
    )
  })
})

describe('batch prediction over large frames', () => {
  const result = train(dataset(4000, 1), {
    algo: 'gbdt',
    target: 'yes',
    features,
    seed: 7,
    params: { max_iter: 20 },
  })
  // Above the size where batches go to worker threads.
  const big = dataset(140_000, 2)

  it('gives the same outputs from worker threads as on the calling thread', async () => {
    const model = await OnnxModel.load(result.onnx)
    try {
      const here = await model.predictFrame(big, { threads: 1, batchSize: 20_000 })
      const workers = await model.predictFrame(big, { threads: 2, batchSize: 20_000 })
      expect(workers.probabilities!.data.length).toBe(2 * big.rows)
      // Byte comparison: deep equality over 280 000 typed-array elements takes minutes.
      expect(sameBytes(workers.probabilities!.data, here.probabilities!.data), 'probabilities').toBe(true)
      expect(sameBytes(workers.label!.data, here.label!.data), 'labels').toBe(true)
    } finally {
      await model.close()
    }
  })

  it('reports a column of the wrong type from a worker as a clear error', async () => {
    const model = await OnnxModel.load(result.onnx)
    const renamed = {
      ...big,
      columns: big.columns.map((c) =>
        c.name === 'x1' ? { ...c, name: 'city' } : c.name === 'city' ? { ...c, name: 'x1' } : c,
      ),
    }
    try {
      await expect(model.predictFrame(renamed, { threads: 2 })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining(
          'model input "x1" expects FP32 [N, 1], but column "x1" holds string values',
        ),
      })
    } finally {
      await model.close()
    }
  })
})

/** Exact equality of two output arrays (typed or string), without vitest's slow deep diff. */
function sameBytes(a: unknown, b: unknown): boolean {
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)
    return bytes(a).equals(bytes(b))
  }
  const x = a as unknown[]
  const y = b as unknown[]
  return x.length === y.length && x.every((v, i) => v === y[i])
}
