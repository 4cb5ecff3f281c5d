import { ElemType, encodeModel } from '../../src/models/onnx/graph.js'

/**
 * A deliberately slow model: y = x · W0 · W1 · … · W(layers) · V, with 1024-wide float layers —
 * about a million multiply-adds per row per layer, milliseconds per row on one thread.
 */
export function slowModel(layers = 20): Uint8Array {
  const width = 1024
  const square = new Float32Array(width * width)
  for (let i = 0; i < square.length; i++) square[i] = ((i % 7) - 3) / (width * 4)
  const bytes = (a: Float32Array) => new Uint8Array(a.buffer.slice(0))
  const nodes = [{ op: 'MatMul', inputs: ['x', 'w_in'], outputs: ['h0'] }]
  for (let l = 0; l < layers; l++)
    nodes.push({ op: 'MatMul', inputs: [`h${l}`, 'w'], outputs: [`h${l + 1}`] })
  nodes.push({ op: 'MatMul', inputs: [`h${layers}`, 'w_out'], outputs: ['y'] })
  return encodeModel({
    name: 'slow',
    inputs: [{ name: 'x', elemType: ElemType.FLOAT, shape: ['N', 1] }],
    outputs: [{ name: 'y', elemType: ElemType.FLOAT, shape: ['N', 1] }],
    initializers: [
      {
        name: 'w_in',
        dims: [1, width],
        dataType: ElemType.FLOAT,
        rawData: bytes(new Float32Array(width).fill(0.5)),
      },
      { name: 'w', dims: [width, width], dataType: ElemType.FLOAT, rawData: bytes(square) },
      {
        name: 'w_out',
        dims: [width, 1],
        dataType: ElemType.FLOAT,
        rawData: bytes(new Float32Array(width).fill(1)),
      },
    ],
    nodes,
  })
}

/** y = x for exactly one row: the batch dimension is fixed at 1 (such a model cannot be micro-batched). */
export function fixedBatchModel(): Uint8Array {
  return encodeModel({
    name: 'fixed',
    inputs: [{ name: 'x', elemType: ElemType.FLOAT, shape: [1, 1] }],
    outputs: [{ name: 'y', elemType: ElemType.FLOAT, shape: [1, 1] }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  })
}

/** ONNX's element type of booleans (`ElemType` lists the types sluice's own exports use). */
const BOOL = 9

/**
 * Each input back unchanged as an output of the same type (Identity): x FP32, flag BOOL, count
 * INT64 and tag BYTES, all [N, 1]; the outputs are `<input>_out`. A model of every type the codec feeds.
 */
export function echoModel(): Uint8Array {
  const io: [string, number][] = [
    ['x', ElemType.FLOAT],
    ['flag', BOOL],
    ['count', ElemType.INT64],
    ['tag', ElemType.STRING],
  ]
  return encodeModel({
    name: 'echo',
    inputs: io.map(([name, elemType]) => ({ name, elemType, shape: ['N', 1] })),
    outputs: io.map(([name, elemType]) => ({ name: `${name}_out`, elemType, shape: ['N', 1] })),
    nodes: io.map(([name]) => ({ op: 'Identity', inputs: [name], outputs: [`${name}_out`] })),
  })
}
