import onnxProto from 'onnx-proto'
import type { PlainTensor } from '../runtime.js'

const { onnx } = onnxProto
type Node = onnxProto.onnx.INodeProto
type Attr = onnxProto.onnx.IAttributeProto

/**
 * A model evaluated in JavaScript, on this thread, with no onnxruntime call: for the small linear
 * graphs sluice exports, onnxruntime's fixed cost per call (about 10 µs) is most of a one-row
 * request's model time. Gives onnxruntime's outputs (names, types, shapes) to float32 rounding;
 * `loadKernel` checks that on probe rows before anything is served with it.
 */
export type Kernel = (feeds: Record<string, PlainTensor>) => Record<string, PlainTensor>

/** Files above this size are not decoded for the kernel. */
const MAX_KERNEL_BYTES = 16 << 20

type Value =
  | { type: 'float32'; dims: number[]; data: Float32Array }
  | { type: 'bool'; dims: number[]; data: Uint8Array }
  | { type: 'int64'; dims: number[]; data: BigInt64Array }
  | { type: 'string'; dims: number[]; data: string[] }

/** One node, compiled: reads its input values, returns its outputs (written into `out`'s arrays). */
type Step = (inputs: Value[], out: Buffers) => Value[]

/** Where a node writes its results: arrays kept from call to call (a kernel call runs to its end before the next one). */
interface Buffers {
  /** A float32 array of n elements for output k; its contents are left from the last call unless `zeroed`. */
  float(n: number, k?: number, zeroed?: boolean): Float32Array
  bool(n: number): Uint8Array
}

/** Buffers kept per node, reused when the size matches; `fresh` allocates every time (a graph output leaves the kernel). */
function buffers(fresh: boolean): Buffers {
  const floats: Float32Array[] = []
  let bools = new Uint8Array(0)
  return {
    float: (n, k = 0, zeroed = false) => {
      if (fresh) return new Float32Array(n)
      let a = floats[k]
      if (a?.length !== n) floats[k] = a = new Float32Array(n)
      else if (zeroed) a.fill(0)
      return a
    },
    bool: (n) => {
      if (fresh) return new Uint8Array(n)
      if (bools.length !== n) bools = new Uint8Array(n)
      return bools
    },
  }
}

/** Element types of graph inputs and outputs the kernel handles (ONNX TensorProto codes). */
const ELEM: Record<number, Value['type']> = { 1: 'float32', 7: 'int64', 8: 'string', 9: 'bool' }

/**
 * Compiles an ONNX graph made only of the operators sluice's linear export uses (Concat, IsInf,
 * Where, ai.onnx.ml Imputer, Scaler, OneHotEncoder, LinearClassifier, LinearRegressor; Reshape by a
 * constant shape) into a kernel; anything else — another operator, an attribute these do not read
 * the way onnxruntime does — gives the reason it was not compiled, and onnxruntime runs the model.
 */
export function compileKernel(
  bytes: Uint8Array,
): { kernel: Kernel; strings: string[] } | { unsupported: string } {
  // Linear graphs are small; decoding a large file (a big tree ensemble) would cost seconds and
  // its size again in memory for a graph the kernel would not run anyway.
  if (bytes.length > MAX_KERNEL_BYTES)
    return {
      unsupported: `the file is larger than ${MAX_KERNEL_BYTES >> 20} MB; the kernel runs small linear graphs`,
    }
  let graph: onnxProto.onnx.IGraphProto
  try {
    graph = onnx.ModelProto.decode(bytes).graph ?? {}
  } catch (e) {
    return { unsupported: `the file does not decode as ONNX: ${(e as Error).message}` }
  }
  const slots = new Map<string, number>()
  const constants: Value[] = []
  const slot = (name: string) => {
    if (!slots.has(name)) slots.set(name, slots.size)
    return slots.get(name)!
  }
  const inputs: { name: string; slot: number; type: Value['type'] }[] = []
  for (const i of graph.input ?? []) {
    const type = ELEM[i.type?.tensorType?.elemType ?? -1]
    if (!type) return { unsupported: `input "${i.name}" is not a float, int64, string or bool tensor` }
    inputs.push({ name: i.name!, slot: slot(i.name!), type })
  }
  for (const t of graph.initializer ?? []) {
    const value = constantValue(t)
    if (!value) return { unsupported: `initializer "${t.name}" has a layout the kernel does not read` }
    constants[slot(t.name!)] = value
  }
  const steps: { step: Step; from: number[]; to: number[]; args: Value[]; out: Buffers }[] = []
  const outputNames = new Set((graph.output ?? []).map((o) => o.name!))
  const aliased = new Set<string>()
  for (const node of graph.node ?? []) {
    const op = `${node.domain ? `${node.domain}.` : ''}${node.opType}`
    const compile = OPS[op]
    if (!compile) return { unsupported: `operator ${op} is not one the kernel runs` }
    const constant = (k: number) => {
      const name = node.input?.[k]
      return name === undefined ? undefined : constants[slots.get(name) ?? -1]
    }
    let step: Step | string
    try {
      step = compile(attributes(node), constant)
    } catch (e) {
      step = (e as Error).message
    }
    if (typeof step === 'string') return { unsupported: `${op}: ${step}` }
    // Inputs are looked up before outputs take slots: an output never feeds its own node.
    const from = (node.input ?? []).map(slot)
    const to = node.output ?? []
    const fresh = to.some((name) => outputNames.has(name))
    // Reshape hands on its input's array, which may be a kept buffer: a graph output made so is copied.
    if (fresh && node.opType === 'Reshape') for (const name of to) aliased.add(name)
    steps.push({ step, from, to: to.map(slot), args: new Array(from.length), out: buffers(fresh) })
  }
  const outputs = (graph.output ?? []).map((o) => ({
    name: o.name!,
    slot: slot(o.name!),
    // A constant handed out as an output must not be the kernel's own array either.
    copy: aliased.has(o.name!) || constants[slot(o.name!)] !== undefined,
  }))
  const size = slots.size
  const strings = (graph.node ?? []).flatMap((n) =>
    (n.attribute ?? []).flatMap((a) => (a.name?.endsWith('_strings') ? (a.strings ?? []).map(text) : [])),
  )
  return {
    strings: [...new Set(strings)],
    kernel: (feeds) => {
      const values: Value[] = new Array(size)
      for (let k = 0; k < constants.length; k++) values[k] = constants[k]!
      for (const i of inputs) values[i.slot] = asValue(i.name, feeds[i.name], i.type)
      for (const s of steps) {
        for (let k = 0; k < s.from.length; k++) s.args[k] = values[s.from[k]!]!
        const out = s.step(s.args, s.out)
        for (let k = 0; k < s.to.length; k++) values[s.to[k]!] = out[k]!
      }
      const result: Record<string, PlainTensor> = {}
      for (const o of outputs) {
        const v = values[o.slot]
        if (!v) throw new Error(`the graph computed no output "${o.name}"`)
        result[o.name] = { type: v.type, dims: v.dims, data: o.copy ? v.data.slice() : v.data }
      }
      return result
    },
  }
}

type Attrs = Map<string, Attr>
type Compile = (a: Attrs, constant: (input: number) => Value | undefined) => Step | string

/** Each operator the kernel runs, with onnxruntime's semantics for the cases it accepts. */
const OPS: Record<string, Compile> = {
  IsInf: (a) => {
    const neg = int(a, 'detect_negative', 1) !== 0
    const pos = int(a, 'detect_positive', 1) !== 0
    return ([x], buffers) => {
      const v = float(x!)
      const out = buffers.bool(v.data.length)
      for (let i = 0; i < out.length; i++) {
        const e = v.data[i]!
        out[i] = (pos && e === Number.POSITIVE_INFINITY) || (neg && e === Number.NEGATIVE_INFINITY) ? 1 : 0
      }
      return [{ type: 'bool', dims: v.dims, data: out }]
    }
  },
  // Broadcasting as the export uses it: each operand is the result's shape or a single element.
  Where: () => (values, buffers) => {
    const [c, x, y] = values as [Value, Value, Value]
    if (c.type !== 'bool' || x.type !== 'float32' || y.type !== 'float32')
      throw new Error('Where runs on a bool condition and float32 values only')
    const shape = [c, x, y].reduce((big, v) => (v.data.length > big.data.length ? v : big)).dims
    const n = size(shape)
    for (const v of [c, x, y])
      if (v.data.length !== 1 && !sameDims(v.dims, shape))
        throw new Error(`Where cannot broadcast [${v.dims}] to [${shape}]`)
    const at = (v: Value) => (v.data.length === 1 ? () => 0 : (i: number) => i)
    const [ci, xi, yi] = [at(c), at(x), at(y)]
    const out = buffers.float(n)
    for (let i = 0; i < n; i++) out[i] = c.data[ci(i)] ? x.data[xi(i)]! : y.data[yi(i)]!
    return [{ type: 'float32', dims: shape, data: out }]
  },
  Concat: (a) => {
    const axis = int(a, 'axis', Number.NaN)
    if (axis !== 1 && axis !== -1) return 'only axis 1 (columns of a [N, k] matrix) is supported'
    return (values, buffers) => {
      const parts = values.map(float)
      const rows = parts[0]!.dims[0]!
      let width = 0
      for (const p of parts) {
        if (p.dims.length !== 2 || p.dims[0] !== rows)
          throw new Error(`Concat needs [N, k] inputs with the same N, got [${p.dims}]`)
        width += p.dims[1]!
      }
      const out = buffers.float(rows * width)
      let col = 0
      for (const p of parts) {
        const w = p.dims[1]!
        for (let r = 0; r < rows; r++)
          for (let j = 0; j < w; j++) out[r * width + col + j] = p.data[r * w + j]!
        col += w
      }
      return [{ type: 'float32', dims: [rows, width], data: out }]
    }
  },
  'ai.onnx.ml.Imputer': (a) => {
    const imputed = floats(a, 'imputed_value_floats')
    if (!imputed?.length) return 'only imputed_value_floats is supported'
    const replaced = Math.fround(a.get('replaced_value_float')?.f ?? 0)
    const missing = Number.isNaN(replaced) ? Number.isNaN : (v: number) => v === replaced
    return perColumn(imputed, (v, fill) => (missing(v) ? fill : v))
  },
  'ai.onnx.ml.Scaler': (a) => {
    const offset = floats(a, 'offset') ?? [0]
    const scale = floats(a, 'scale') ?? [1]
    if (offset.length !== scale.length && offset.length !== 1 && scale.length !== 1)
      return 'offset and scale must have the same length'
    const pairs = Array.from({ length: Math.max(offset.length, scale.length) }, (_, j) => [
      offset[offset.length === 1 ? 0 : j]!,
      scale[scale.length === 1 ? 0 : j]!,
    ])
    // (x − offset) × scale in float32, each operation rounded as onnxruntime's float code rounds it.
    return perColumn(pairs, (v, [o, s]) => Math.fround(Math.fround(v - o!) * s!))
  },
  'ai.onnx.ml.OneHotEncoder': (a) => {
    const cats = a.get('cats_strings')?.strings?.map(text)
    if (!cats?.length) return 'only string categories (cats_strings) are supported'
    if (int(a, 'zeros', 1) !== 1) return 'only zeros=1 (an unknown category gives zeros) is supported'
    const index = new Map(cats.map((c, i) => [c, i]))
    return ([x], buffers) => {
      if (x!.type !== 'string') throw new Error('OneHotEncoder runs on strings only')
      const out = buffers.float(x!.data.length * cats.length, 0, true)
      x!.data.forEach((s, i) => {
        const j = index.get(s)
        if (j !== undefined) out[i * cats.length + j] = 1
      })
      return [{ type: 'float32', dims: [...x!.dims, cats.length], data: out }]
    }
  },
  Reshape: (a, constant) => {
    const shape = constant(1)
    if (shape?.type !== 'int64') return 'only a constant shape is supported'
    if (int(a, 'allowzero', 0) !== 0) return 'allowzero is not supported'
    const target = Array.from(shape.data, Number)
    return ([x]) => {
      const dims = target.map((d, i) => (d === 0 ? x!.dims[i]! : d))
      const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1)
      const n = x!.data.length
      const full = dims.map((d) => (d === -1 ? n / known : d))
      if (size(full) !== n) throw new Error(`Reshape cannot make [${x!.dims}] into [${target}]`)
      return [{ ...x!, dims: full } as Value]
    }
  },
  'ai.onnx.ml.LinearClassifier': (a) => {
    const coefficients = floats(a, 'coefficients')
    const intercepts = floats(a, 'intercepts')
    const transform = text(a.get('post_transform')?.s) || 'NONE'
    const strings = a.get('classlabels_strings')?.strings?.map(text)
    const ints = a.get('classlabels_ints')?.ints?.map((v) => BigInt(String(v)))
    const labels = strings?.length ? strings : ints
    const classes = intercepts?.length ?? 0
    // One row of coefficients for two classes is read differently by different onnxruntime versions.
    if (classes < 2) return 'one row of coefficients per class (at least two) is needed'
    if (!coefficients || coefficients.length % classes !== 0) return 'coefficients do not fill the classes'
    if (labels?.length !== classes) return 'there must be one class label per row of coefficients'
    if (int(a, 'multi_class', 0) !== 0) return 'multi_class is not supported'
    if (transform !== 'NONE' && transform !== 'LOGISTIC')
      return `post_transform ${transform} is not supported`
    const features = coefficients.length / classes
    const logistic = transform === 'LOGISTIC'
    return ([x], buffers) => {
      const { rows, data } = matrix(x!, features)
      const scores = buffers.float(rows * classes)
      const best = new Int32Array(rows)
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < classes; c++) {
          const s = dot(data, r * features, coefficients, c * features, features) + intercepts![c]!
          scores[r * classes + c] = s
          // The first class with the largest raw score, as onnxruntime picks it.
          if (c > 0 && scores[r * classes + c]! > scores[r * classes + best[r]!]!) best[r] = c
        }
      }
      if (logistic) for (let i = 0; i < scores.length; i++) scores[i] = 1 / (1 + Math.exp(-scores[i]!))
      const label: Value = strings?.length
        ? { type: 'string', dims: [rows], data: Array.from(best, (c) => strings[c]!) }
        : { type: 'int64', dims: [rows], data: BigInt64Array.from(best, (c) => ints![c]!) }
      return [label, { type: 'float32', dims: [rows, classes], data: scores }]
    }
  },
  'ai.onnx.ml.LinearRegressor': (a) => {
    const coefficients = floats(a, 'coefficients')
    const targets = int(a, 'targets', 1)
    const intercepts = floats(a, 'intercepts') ?? Array.from({ length: targets }, () => 0)
    if (!coefficients || coefficients.length % targets !== 0) return 'coefficients do not fill the targets'
    if (intercepts.length !== targets) return 'there must be one intercept per target'
    if ((text(a.get('post_transform')?.s) || 'NONE') !== 'NONE')
      return 'only post_transform NONE is supported'
    const features = coefficients.length / targets
    return ([x], buffers) => {
      const { rows, data } = matrix(x!, features)
      const out = buffers.float(rows * targets)
      for (let r = 0; r < rows; r++)
        for (let t = 0; t < targets; t++)
          out[r * targets + t] =
            dot(data, r * features, coefficients, t * features, features) + intercepts[t]!
      return [{ type: 'float32', dims: [rows, targets], data: out }]
    }
  },
}

/** A feed as a kernel value, checked against the graph input's type. */
function asValue(name: string, t: PlainTensor | undefined, type: Value['type']): Value {
  if (!t) throw new Error(`input "${name}" is missing`)
  if (t.type !== type) throw new Error(`input "${name}" must be ${type}, got ${t.type}`)
  return { type, dims: t.dims.map(Number), data: t.data } as Value
}

/** A step applying `f` to each element with its column's parameter (one parameter for all, or one per column). */
function perColumn<P>(params: P[], f: (v: number, p: P) => number): Step {
  return ([x], buffers) => {
    const v = float(x!)
    const width = v.dims.length === 2 ? v.dims[1]! : 1
    if (params.length !== 1 && params.length !== width)
      throw new Error(`${params.length} parameters for ${width} columns`)
    const out = buffers.float(v.data.length)
    for (let i = 0; i < out.length; i++) out[i] = f(v.data[i]!, params[params.length === 1 ? 0 : i % width]!)
    return [{ type: 'float32', dims: v.dims, data: out }]
  }
}

/** x as N rows of `features` values ([N, features], or one row of them). */
function matrix(x: Value, features: number): { rows: number; data: Float32Array } {
  const v = float(x)
  const rows = v.dims.length === 1 ? 1 : v.dims[0]!
  if (v.data.length !== rows * features)
    throw new Error(`the linear model reads ${features} features, got [${v.dims}]`)
  return { rows, data: v.data }
}

function dot(x: Float32Array, at: number, w: number[], from: number, n: number): number {
  let s = 0
  for (let j = 0; j < n; j++) s += x[at + j]! * w[from + j]!
  return s
}

function float(v: Value): Extract<Value, { type: 'float32' }> {
  if (v.type !== 'float32') throw new Error(`expected a float32 tensor, got ${v.type}`)
  return v
}

function attributes(node: Node): Attrs {
  return new Map((node.attribute ?? []).map((a) => [a.name!, a]))
}

function int(a: Attrs, name: string, fallback: number): number {
  const v = a.get(name)?.i
  return v === undefined || v === null ? fallback : Number(String(v))
}

/** A floats attribute as float32 values (as onnxruntime holds them), or undefined when absent. */
function floats(a: Attrs, name: string): number[] | undefined {
  const v = a.get(name)?.floats
  return v?.length ? v.map(Math.fround) : undefined
}

const decoder = new TextDecoder()
const text = (b: Uint8Array | null | undefined): string => (b ? decoder.decode(b) : '')

function constantValue(t: onnxProto.onnx.ITensorProto): Value | null {
  const dims = (t.dims ?? []).map((d) => Number(String(d)))
  if (t.rawData?.length) return null
  if (t.dataType === 1) return { type: 'float32', dims, data: Float32Array.from(t.floatData ?? []) }
  if (t.dataType === 7)
    return {
      type: 'int64',
      dims,
      data: BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(String(v)))),
    }
  return null
}

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1)
const sameDims = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i])
