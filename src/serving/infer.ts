import type ort from 'onnxruntime-node'
import type { Signature, TensorSpec } from '../core/types.js'
import { availableThreads } from '../core/workers.js'
import { checkedKernel } from '../models/kernel.js'
import { OIP_DATATYPE, type OnnxModel, type PlainTensor } from '../models/runtime.js'
import type { OutputTensor } from './protocol/outputs.js'
import type { InputTensor } from './protocol/request.js'

const ORT_TYPE = Object.fromEntries(Object.entries(OIP_DATATYPE).map(([type, oip]) => [oip, type])) as Record<
  string,
  ort.Tensor.Type
>

/** A model call expected to take longer than this runs on a worker thread, not the event loop. */
export const OFF_THREAD_MS = 1

/**
 * Runs the model on request inputs. A call the kernel answers on this thread returns its outputs
 * directly (it has ended: there is nothing to wait for or time out); others return a promise.
 */
export type RunModel = (
  inputs: Record<string, InputTensor>,
) => Record<string, OutputTensor> | Promise<Record<string, OutputTensor>>

/** How a loaded model is run: its measured cost and the function that runs it. */
export interface ModelRunner {
  run: RunModel
  /** Measured at load: milliseconds per call ≈ fixedMs + perRowMs × rows. */
  cost: { fixedMs: number; perRowMs: number }
  /**
   * What runs calls on this thread: sluice's JavaScript kernel (small linear graphs, checked
   * against onnxruntime at load) or onnxruntime; `reason` says why the kernel is not used.
   */
  engine: { name: 'kernel' | 'onnxruntime'; reason?: string }
}

/**
 * Measures the model once at load (a 1-row and a 64-row call on neutral inputs: zeros, empty
 * strings) and returns a runner that keeps calls expected to take under OFF_THREAD_MS on this
 * thread — a worker hop costs more than a small model's whole call — and sends the rest to worker
 * threads with their own sessions, so a slow model (or a big batch) never stalls the server. On
 * this thread a model runs in sluice's kernel when its graph has one that agrees with onnxruntime
 * (`kernel: false` keeps every call in onnxruntime).
 */
export async function modelRunner(onnx: OnnxModel, options: { kernel?: boolean } = {}): Promise<ModelRunner> {
  const checked =
    options.kernel === false
      ? { unsupported: 'turned off (serving.kernel: false)' }
      : await checkedKernel(onnx)
  const kernel = 'kernel' in checked ? checked.kernel : null
  const here = async (feeds: Record<string, PlainTensor>) => (kernel ? kernel(feeds) : onnx.runTensors(feeds))
  const engine: ModelRunner['engine'] =
    'kernel' in checked ? { name: 'kernel' } : { name: 'onnxruntime', reason: checked.unsupported }
  const cost = await measureCost(onnx.signature, here)
  const threads = availableThreads()
  const slow = (rows: number) => cost.fixedMs + cost.perRowMs * rows > OFF_THREAD_MS
  // A model slow even on one row always runs off-thread: start its workers now, not on a request.
  if (slow(1)) await onnx.runTensorsInWorker(neutralFeeds(onnx.signature, 1), threads)
  return {
    cost,
    engine,
    run: (inputs) => {
      let rows = 1
      const feeds: Record<string, PlainTensor> = {}
      for (const name in inputs) {
        const t = inputs[name]!
        rows = t.dims[0] ?? 1
        feeds[name] = { type: ORT_TYPE[t.datatype]!, dims: t.dims, data: t.data as PlainTensor['data'] }
      }
      if (slow(rows)) return onnx.runTensorsInWorker(feeds, threads).then(asOutputs)
      return kernel ? asOutputs(kernel(feeds)) : onnx.runTensors(feeds).then(asOutputs)
    },
  }
}

function asOutputs(out: Record<string, PlainTensor>): Record<string, OutputTensor> {
  const outputs: Record<string, OutputTensor> = {}
  for (const name in out) {
    const t = out[name]!
    outputs[name] = {
      datatype: OIP_DATATYPE[t.type] ?? 'BYTES',
      dims: t.dims.map(Number),
      data: t.data as ArrayLike<unknown>,
    }
  }
  return outputs
}

/** The fastest of three calls at 1 and at 64 rows (the fastest is the least disturbed by other work). */
async function measureCost(
  signature: Signature,
  run: (feeds: Record<string, PlainTensor>) => Promise<unknown>,
): Promise<ModelRunner['cost']> {
  const time = async (rows: number) => {
    const feeds = neutralFeeds(signature, rows)
    await run(feeds) // first call allocates
    let best = Number.POSITIVE_INFINITY
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      await run(feeds)
      best = Math.min(best, performance.now() - t0)
    }
    return best
  }
  try {
    const one = await time(1)
    const batchable = signature.inputs.every((s) => s.shape[0] === -1)
    const perRowMs = batchable ? Math.max(0, ((await time(64)) - one) / 63) : 0
    return { fixedMs: Math.max(0, one - perRowMs), perRowMs }
  } catch {
    // A model that refuses neutral inputs cannot be measured: treat it as slow, off the event loop.
    return { fixedMs: Number.POSITIVE_INFINITY, perRowMs: 0 }
  }
}

function neutralFeeds(signature: Signature, rows: number): Record<string, PlainTensor> {
  const feeds: Record<string, PlainTensor> = {}
  for (const spec of signature.inputs) feeds[spec.name] = neutral(spec, rows)
  return feeds
}

function neutral(spec: TensorSpec, rows: number): PlainTensor {
  const dims = spec.shape.map((d, i) => (d > 0 ? d : i === 0 ? rows : 1))
  const n = dims.reduce((a, b) => a * b, 1)
  const type = ORT_TYPE[spec.datatype]!
  const data = type === 'string' ? new Array<string>(n).fill('') : new (ZEROS[type] ?? Float32Array)(n)
  return { type, dims, data }
}

/** The typed array that holds each numeric onnxruntime type (float16 as its raw bits). */
const ZEROS: Partial<Record<ort.Tensor.Type, new (n: number) => Exclude<PlainTensor['data'], string[]>>> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
}

export class InferenceTimeout extends Error {}

/** The work's result, or InferenceTimeout after `ms`; the work itself goes on (it cannot be stopped). */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new InferenceTimeout(`no answer within ${ms} ms`)), ms)
    work.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (e) => {
        clearTimeout(timer)
        reject(e)
      },
    )
  })
}
