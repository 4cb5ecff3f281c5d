// Builds small, valid ONNX models with onnx-proto, for the demo and the tests (no Python needed).
import onnxProto from 'onnx-proto'

const { onnx } = onnxProto
const FLOAT = 1

const tensorInfo = (name, dims) => ({
  name,
  type: {
    tensorType: {
      elemType: FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  },
})

/**
 * A logistic regression over named numeric columns: one [N, 1] float input per feature,
 * output `probability` [N, 1] = sigmoid(sum(w_i * x_i) + bias).
 */
export function logisticModel({ features, weights, bias = 0, name = 'logistic' }) {
  if (features.length !== weights.length) throw new Error('one weight per feature')
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'sluice-fixtures',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name,
      input: features.map((f) => tensorInfo(f, ['N', 1])),
      output: [tensorInfo('probability', ['N', 1])],
      initializer: [
        { name: 'W', dims: [features.length, 1], dataType: FLOAT, floatData: weights },
        { name: 'B', dims: [1], dataType: FLOAT, floatData: [bias] },
      ],
      node: [
        { opType: 'Concat', input: features, output: ['X'], attribute: [{ name: 'axis', type: 2, i: 1 }] },
        { opType: 'MatMul', input: ['X', 'W'], output: ['Z0'] },
        { opType: 'Add', input: ['Z0', 'B'], output: ['Z'] },
        { opType: 'Sigmoid', input: ['Z'], output: ['probability'] },
      ],
    },
  })
  return onnx.ModelProto.encode(model).finish()
}
