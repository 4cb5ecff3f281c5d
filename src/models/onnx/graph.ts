import onnxProto from 'onnx-proto'

const { onnx } = onnxProto

/** ONNX element types used by sluice's exported graphs. */
export const ElemType = { FLOAT: 1, INT64: 7, STRING: 8, DOUBLE: 11, UINT8: 2 } as const

interface Tensor {
  name?: string
  dims: number[]
  dataType: number
  floatData?: number[]
  int64Data?: number[]
  stringData?: string[]
  doubleData?: number[]
  rawData?: Uint8Array
}

/** One node; attribute types are inferred (integers must be marked with `ints`/`int` helpers). */
export interface NodeSpec {
  op: string
  domain?: string
  inputs: string[]
  outputs: string[]
  name?: string
  attrs?: Record<string, Attribute>
}

export type Attribute =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensor'; value: Tensor }

export const int = (value: number): Attribute => ({ kind: 'int', value })
export const float = (value: number): Attribute => ({ kind: 'float', value })
export const str = (value: string): Attribute => ({ kind: 'string', value })
export const ints = (value: number[]): Attribute => ({ kind: 'ints', value })
export const floats = (value: number[]): Attribute => ({ kind: 'floats', value })
export const strs = (value: string[]): Attribute => ({ kind: 'strings', value })
export const tensorAttr = (value: Tensor): Attribute => ({ kind: 'tensor', value })

const encoder = new TextEncoder()

function attribute(name: string, a: Attribute) {
  const T = onnx.AttributeProto.AttributeType
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value }
    case 'float':
      return { name, type: T.FLOAT, f: a.value }
    case 'string':
      return { name, type: T.STRING, s: encoder.encode(a.value) }
    case 'ints':
      return { name, type: T.INTS, ints: a.value }
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value }
    case 'strings':
      return { name, type: T.STRINGS, strings: a.value.map((s) => encoder.encode(s)) }
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorProto(a.value) }
  }
}

function tensorProto(t: Tensor) {
  return {
    ...(t.name !== undefined && { name: t.name }),
    dims: t.dims,
    dataType: t.dataType,
    ...(t.floatData && { floatData: t.floatData }),
    ...(t.doubleData && { doubleData: t.doubleData }),
    ...(t.int64Data && { int64Data: t.int64Data }),
    ...(t.stringData && { stringData: t.stringData.map((s) => encoder.encode(s)) }),
    ...(t.rawData && { rawData: t.rawData }),
  }
}

export interface ValueSpec {
  name: string
  elemType: number
  /** Dimensions: numbers, or a symbolic name such as 'N'. */
  shape: (number | string)[]
}

const valueInfo = (v: ValueSpec) => ({
  name: v.name,
  type: {
    tensorType: {
      elemType: v.elemType,
      shape: { dim: v.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  },
})

export interface GraphSpec {
  name: string
  inputs: ValueSpec[]
  outputs: ValueSpec[]
  initializers?: Tensor[]
  nodes: NodeSpec[]
  /** ai.onnx opset (default 17) and ai.onnx.ml opset (default 3, or 5 for TreeEnsemble). */
  opset?: number
  mlOpset?: number
  /** Key-value metadata stored in the model (e.g. sluice's training parameters). */
  metadata?: Record<string, string>
  docString?: string
}

/**
 * Serialises a graph to ONNX bytes. Everything that could vary between runs (node names,
 * attribute order) is fixed by the spec, so equal specs give byte-identical files.
 */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'sluice',
    producerVersion: '1',
    ...(spec.docString && { docString: spec.docString }),
    opsetImport: [
      { domain: '', version: spec.opset ?? 17 },
      { domain: 'ai.onnx.ml', version: spec.mlOpset ?? 3 },
    ],
    metadataProps: Object.entries(spec.metadata ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.name,
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: (spec.initializers ?? []).map(tensorProto),
      node: spec.nodes.map((n, i) => ({
        opType: n.op,
        domain: n.domain ?? '',
        name: n.name ?? `${n.op}_${i}`,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, a]) => attribute(k, a)),
      })),
    },
  })
  return onnx.ModelProto.encode(model).finish()
}
