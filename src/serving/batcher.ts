import { withTimeout } from './infer.js'
import type { InputData, InputTensor } from './protocol/datatypes.js'
import type { OutputTensor } from './protocol/outputs.js'

export interface BatchingOptions {
  /** Rows per model call, at most. */
  maxRows: number
  /** How long the first request of a batch waits for others. */
  maxWaitMs: number
  /** Longest a model call may take before its requests fail with InferenceTimeout (none when absent). */
  timeoutMs?: number
}

interface Waiting {
  inputs: Record<string, InputTensor>
  rows: number
  resolve(outputs: Record<string, OutputTensor>): void
  reject(e: unknown): void
}

/** The model call: its outputs, or a promise of them. */
type Run = (
  inputs: Record<string, InputTensor>,
) => Record<string, OutputTensor> | Promise<Record<string, OutputTensor>>

/**
 * Adaptive micro-batching: requests that arrive while a batch is open are stacked row-wise into one
 * model call, and each gets its own rows of the outputs back. A batch closes when it holds
 * `maxRows` rows, when a turn of the event loop brings no new request (waiting longer would only
 * add latency: a lone request, or clients all waiting for their answers), or when its first
 * request has waited `maxWaitMs` (requests keep arriving, but slower than the batch fills).
 */
export class Batcher {
  private queue: Waiting[] = []
  private rows = 0
  private timer: NodeJS.Timeout | undefined
  private turn: NodeJS.Immediate | undefined
  /** Requests added since the last turn of the event loop looked. */
  private arrived = 0
  /** Model calls made, and requests answered through them. */
  readonly stats = { calls: 0, requests: 0 }

  constructor(
    private readonly run: Run,
    readonly options: BatchingOptions,
  ) {}

  submit(inputs: Record<string, InputTensor>, rows: number): Promise<Record<string, OutputTensor>> {
    this.stats.requests++
    return new Promise((resolve, reject) => {
      if (rows >= this.options.maxRows) {
        this.stats.calls++
        this.call(inputs).then(resolve, reject)
        return
      }
      if (this.rows + rows > this.options.maxRows) this.flush()
      this.queue.push({ inputs, rows, resolve, reject })
      this.rows += rows
      this.arrived++
      if (this.rows >= this.options.maxRows) this.flush()
      else {
        this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs)
        this.turn ??= setImmediate(this.settle)
      }
    })
  }

  /**
   * The model call as a promise: settled at once by a call that ended on this thread (or threw),
   * else timed out after `timeoutMs` — one timer per call, not one per request in it.
   */
  private call(inputs: Record<string, InputTensor>): Promise<Record<string, OutputTensor>> {
    let work: ReturnType<Run>
    try {
      work = this.run(inputs)
    } catch (e) {
      return Promise.reject(e)
    }
    if (!(work instanceof Promise)) return Promise.resolve(work)
    return this.options.timeoutMs === undefined ? work : withTimeout(work, this.options.timeoutMs)
  }

  /** After each turn of the event loop: wait one more turn if requests came in, else close the batch. */
  private readonly settle = (): void => {
    this.turn = undefined
    if (this.queue.length === 0) return
    if (this.arrived > 0) {
      this.arrived = 0
      this.turn = setImmediate(this.settle)
    } else this.flush()
  }

  private flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    clearImmediate(this.turn)
    this.turn = undefined
    this.arrived = 0
    const batch = this.queue
    this.queue = []
    this.rows = 0
    if (batch.length === 0) return
    this.stats.calls++
    if (batch.length === 1) {
      this.call(batch[0]!.inputs).then(batch[0]!.resolve, batch[0]!.reject)
      return
    }
    let inputs: Record<string, InputTensor>
    try {
      inputs = stack(batch)
    } catch (e) {
      for (const w of batch) w.reject(e)
      return
    }
    this.call(inputs).then(
      (outputs) => {
        let start = 0
        for (const w of batch) {
          w.resolve(slice(outputs, start, start + w.rows))
          start += w.rows
        }
      },
      (e) => {
        for (const w of batch) w.reject(e)
      },
    )
  }
}

/** The requests' inputs, one after the other along the batch dimension. */
function stack(batch: Waiting[]): Record<string, InputTensor> {
  const total = batch.reduce((n, w) => n + w.rows, 0)
  const out: Record<string, InputTensor> = {}
  for (const name of Object.keys(batch[0]!.inputs)) {
    const parts = batch.map((w) => w.inputs[name]!)
    const first = parts[0]!
    out[name] = {
      datatype: first.datatype,
      dims: [total, ...first.dims.slice(1)],
      data: concat(parts.map((p) => p.data)),
    }
  }
  return out
}

function concat(parts: InputData[]): InputData {
  if (Array.isArray(parts[0])) return (parts as string[][]).flat()
  const typed = parts as Exclude<InputData, string[]>[]
  const Ctor = typed[0]!.constructor as new (n: number) => Exclude<InputData, string[]>
  const out = new Ctor(typed.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of typed) {
    ;(out as Float64Array).set(p as Float64Array, at)
    at += p.length
  }
  return out
}

/** Rows [start, end) of every output. */
function slice(
  outputs: Record<string, OutputTensor>,
  start: number,
  end: number,
): Record<string, OutputTensor> {
  const out: Record<string, OutputTensor> = {}
  for (const [name, t] of Object.entries(outputs)) {
    const width = t.dims.slice(1).reduce((a, b) => a * b, 1)
    const data = t.data as unknown as { slice(a: number, b: number): ArrayLike<unknown> }
    out[name] = {
      datatype: t.datatype,
      dims: [end - start, ...t.dims.slice(1)],
      data: data.slice(start * width, end * width),
    }
  }
  return out
}
