import { readFile } from 'node:fs/promises'
import ort from 'onnxruntime-node'
import { isSluiceError, SluiceError } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { checkRegular } from '../core/regular.js'
import type { Signature, TensorDatatype, TensorSpec } from '../core/types.js'
import { availableThreads, WorkerPool, workerScript } from '../core/workers.js'
import type { Frame } from '../data/frame.js'
import { type Binding, bindColumns, feedsFor } from './feeds.js'

/** onnxruntime's tensor types by their Open Inference Protocol names. */
export const OIP_DATATYPE: Record<string, TensorDatatype> = {
  float32: 'FP32',
  float64: 'FP64',
  float16: 'FP16',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  bool: 'BOOL',
  string: 'BYTES',
}

/** An output column: numbers, exact 64-bit integers (BigInt), or strings, as onnxruntime gives them. */
export type OutputData = ort.Tensor.DataType

export interface Output {
  datatype: TensorDatatype
  /** Shape of one row's value (e.g. [2] for probabilities of two classes, [] for a scalar). */
  rowShape: number[]
  data: OutputData
}

/** Default rows per inference call when predicting over a frame. */
export const DEFAULT_BATCH = 65_536
/** Below this many rows a frame is predicted on the calling thread; above, batches go to workers. */
const PARALLEL_MIN_ROWS = 131_072

export interface PredictOptions {
  /** Rows per inference call (default 65,536). */
  batchSize?: number
  /** Worker threads for large frames (default: one per core; 1 keeps everything on this thread). */
  threads?: number
}

/** One batch's output: the tensor's dimensions and values. */
export interface Part {
  dims: readonly number[]
  data: OutputData
}

/** A tensor as plain data (postable to a worker thread). */
export interface PlainTensor {
  type: ort.Tensor.Type
  dims: readonly number[]
  data: OutputData
}

/**
 * An ONNX model loaded in onnxruntime (CPU). Its signature comes from the session's input and
 * output metadata; `predictFrame` maps frame columns to inputs by name, in batches.
 */
export class OnnxModel {
  private pool: WorkerPool | null = null
  /** Names this loaded model in tasks sent to predict workers, which keep a session per key. */
  private readonly key = newId('model_')

  private constructor(
    private readonly session: ort.InferenceSession,
    /** The model file's bytes, shared so predict workers load the same model without a copy. */
    readonly bytes: Uint8Array,
    readonly signature: Signature,
  ) {}

  /**
   * Loads a model from a file or bytes. `threads` is onnxruntime's thread count inside one call
   * (default 1). One thread sums a tree ensemble in one fixed order, so a row gets bit-identical
   * outputs whichever path predicts it (this thread, a worker, the server); large frames are
   * parallelised by batches in worker threads instead.
   */
  static async load(
    source: string | Uint8Array,
    label = typeof source === 'string' ? source : 'the model',
    options: { threads?: number } = {},
  ): Promise<OnnxModel> {
    let bytes: Uint8Array
    try {
      if (typeof source === 'string') await checkRegular(source, 'file')
      bytes = typeof source === 'string' ? await readFile(source) : source
    } catch (e) {
      if (isSluiceError(e)) throw e
      throw new SluiceError('UNREADABLE_FILE', `${label} cannot be read; check the path`)
    }
    let session: ort.InferenceSession
    try {
      // onnxruntime does not read from a SharedArrayBuffer: give it its own copy.
      session = await ort.InferenceSession.create(
        bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes,
        {
          graphOptimizationLevel: 'all',
          executionMode: 'sequential',
          intraOpNumThreads: options.threads ?? 1,
          interOpNumThreads: 1,
        },
      )
    } catch (e) {
      throw new SluiceError(
        'INVALID_INPUT',
        `${label} is not a usable ONNX model: ${firstLine((e as Error).message)}`,
      )
    }
    const spec = (m: ort.InferenceSession.ValueMetadata): TensorSpec => {
      if (!m.isTensor)
        throw new SluiceError(
          'INVALID_INPUT',
          `${label}: "${m.name}" is not a tensor; sluice serves models whose inputs and outputs are tensors`,
        )
      const datatype = OIP_DATATYPE[m.type]
      if (!datatype)
        throw new SluiceError(
          'INVALID_INPUT',
          `${label}: "${m.name}" has element type ${m.type}, which sluice does not handle`,
        )
      return { name: m.name, datatype, shape: m.shape.map((d) => (typeof d === 'number' && d > 0 ? d : -1)) }
    }
    return new OnnxModel(session, shared(bytes), {
      inputs: session.inputMetadata.map(spec),
      outputs: session.outputMetadata.map(spec),
    })
  }

  /** Runs the model on ready tensors. */
  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    return (await this.session.run(feeds)) as Record<string, ort.Tensor>
  }

  /** Runs plain tensors here (onnxruntime runs on this thread, inside a setImmediate). */
  async runTensors(feeds: Record<string, PlainTensor>): Promise<Record<string, PlainTensor>> {
    const tensors: Record<string, ort.Tensor> = {}
    for (const name in feeds) {
      const f = feeds[name]!
      tensors[name] = new ort.Tensor(f.type, f.data as never, f.dims)
    }
    const out = await this.run(tensors)
    const plain: Record<string, PlainTensor> = {}
    for (const name in out) {
      const t = out[name]!
      plain[name] = { type: t.type, dims: t.dims, data: t.data }
    }
    return plain
  }

  /**
   * Runs plain tensors on one of `threads` worker threads (each with its own session), so a slow
   * call does not hold this thread: what a server does with a model whose calls take milliseconds.
   */
  runTensorsInWorker(
    feeds: Record<string, PlainTensor>,
    threads: number,
  ): Promise<Record<string, PlainTensor>> {
    return this.workers(threads).run<Record<string, PlainTensor>>({ key: this.key, model: this.bytes, feeds })
  }

  /** Runs rows [start, end) of the bound columns; the outputs are plain objects a worker can post. */
  async runRows(bindings: Binding[], start: number, end: number): Promise<Record<string, Part>> {
    const out = await this.run(feedsFor(bindings, start, end))
    return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, { dims: t.dims, data: t.data }]))
  }

  /**
   * Predicts every row of a frame: each model input is fed from the column of the same name,
   * converted to the input's type. A missing column, or one whose values cannot become the
   * input's type, is an error naming the input, what it expects and what it got. Large frames are
   * split into batches run by worker threads, one onnxruntime session each: onnxruntime's own
   * threads split a tree ensemble by trees and synchronise every 128 rows, which scales poorly.
   */
  async predictFrame(frame: Frame, options: PredictOptions = {}): Promise<Record<string, Output>> {
    const bindings = bindColumns(this.signature, frame)
    const batch = options.batchSize ?? DEFAULT_BATCH
    const ranges: [number, number][] = []
    for (let start = 0; start < Math.max(frame.rows, 1); start += batch)
      ranges.push([start, Math.min(frame.rows, start + batch)])
    const threads = Math.min(options.threads ?? availableThreads(), ranges.length)
    const parts =
      threads > 1 && frame.rows >= PARALLEL_MIN_ROWS
        ? await Promise.all(
            ranges.map(([start, end]) =>
              this.workers(threads).run<Record<string, Part>>({
                key: this.key,
                model: this.bytes,
                bindings,
                start,
                end,
              }),
            ),
          )
        : await sequentially(ranges, ([start, end]) => this.runRows(bindings, start, end))
    return Object.fromEntries(
      this.signature.outputs.map((o) => {
        const batches = parts.map((p) => p[o.name]).filter((p) => p !== undefined)
        return [
          o.name,
          {
            datatype: o.datatype,
            rowShape: (batches[0]?.dims ?? []).slice(1).map(Number),
            data: concat(batches),
          },
        ]
      }),
    )
  }

  private workers(threads: number): WorkerPool {
    this.pool ??= new WorkerPool(workerScript(import.meta.url, 'predict-worker'), threads)
    return this.pool
  }

  async close(): Promise<void> {
    await this.pool?.close()
    await this.session.release()
  }
}

/**
 * A task for a predict worker: the model's bytes and either rows of the bound columns to run, or
 * ready tensors.
 */
export type PredictTask = {
  /** Identifies the model across messages (a posted buffer arrives as a new object every time). */
  key: string
  model: Uint8Array
} & ({ bindings: Binding[]; start: number; end: number } | { feeds: Record<string, PlainTensor> })

async function sequentially<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (const item of items) out.push(await fn(item))
  return out
}

/** The bytes in a SharedArrayBuffer (copied once), so posting them to workers copies nothing. */
function shared(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length))
  out.set(bytes)
  return out
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 300)
}

function concat(parts: Part[]): OutputData {
  if (parts.length === 0) return new Float32Array(0)
  const first = parts[0]!.data
  if (Array.isArray(first)) return parts.flatMap((t) => t.data as string[])
  const total = parts.reduce((s, t) => s + (t.data as ArrayLike<unknown>).length, 0)
  const Ctor = (first as Float32Array).constructor as new (n: number) => Exclude<OutputData, string[]>
  const out = new Ctor(total)
  let at = 0
  for (const t of parts) {
    out.set(t.data as never, at)
    at += (t.data as ArrayLike<unknown>).length
  }
  return out
}
