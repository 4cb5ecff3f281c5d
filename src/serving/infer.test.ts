import { describe, expect, it } from 'vitest'
import { tabular } from '../../test/support/tabular.js'
import { OnnxModel } from '../models/runtime.js'
import { train } from '../models/train.js'
import { modelRunner } from './infer.js'

const frame = tabular(1500, 9)
const row = {
  x1: { datatype: 'FP32' as const, dims: [2, 1], data: Float32Array.of(1.5, Number.NaN) },
  x2: { datatype: 'FP32' as const, dims: [2, 1], data: Float32Array.of(3, 20) },
  city: { datatype: 'BYTES' as const, dims: [2, 1], data: ['nice', 'atlantis'] },
}

describe('modelRunner', () => {
  it('runs a linear model in the JavaScript kernel, with the outputs onnxruntime gives', async () => {
    const result = train(frame, { algo: 'logistic', target: 'yes', features: ['x1', 'x2', 'city'], seed: 1 })
    const onnx = await OnnxModel.load(result.onnx)
    const kernel = await modelRunner(onnx)
    const ort = await modelRunner(onnx, { kernel: false })
    expect(kernel.engine).toEqual({ name: 'kernel' })
    expect(ort.engine).toEqual({ name: 'onnxruntime', reason: 'turned off (serving.kernel: false)' })
    const a = await kernel.run(row)
    const b = await ort.run(row)
    expect(a.label).toEqual(b.label)
    expect(a.probabilities!.datatype).toBe('FP32')
    expect(a.probabilities!.dims).toEqual([2, 2])
    for (let i = 0; i < 4; i++)
      expect(a.probabilities!.data[i] as number).toBeCloseTo(b.probabilities!.data[i] as number, 6)
    await onnx.close()
  })

  it('runs other models in onnxruntime and says why', async () => {
    const result = train(frame, {
      algo: 'gbdt',
      target: 'yes',
      features: ['x1', 'x2', 'city'],
      seed: 1,
      params: { max_iter: 5 },
    })
    const onnx = await OnnxModel.load(result.onnx)
    const runner = await modelRunner(onnx)
    expect(runner.engine.name).toBe('onnxruntime')
    expect(runner.engine.reason).toMatch(/operator ai\.onnx\.ml\.\w+ is not one the kernel runs/)
    expect((await runner.run(row)).label!.data).toHaveLength(2)
    await onnx.close()
  })
})
