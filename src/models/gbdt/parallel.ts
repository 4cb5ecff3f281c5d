import { Worker } from 'node:worker_threads'
import { availableThreads, workerScript } from '../../core/workers.js'
import { accumulate, HIST, logLossGradients, partitionRows } from './histogram.js'

/** Nodes with fewer rows are done on one thread: handing work over would cost more than it saves. */
const MIN_PARALLEL_ROWS = 50_000

const IDLE = 0
const POSTED = 1
const DONE = 2
const STOP = 3
const OP_HISTOGRAM = 1
const OP_GRADIENTS = 2
const OP_PARTITION = 3

/** Arrays both threads work on, in SharedArrayBuffers. */
export interface SharedTrainingState {
  F: number
  rowBins: Uint8Array
  indices: Uint32Array
  /** Where partitions put the rows that go right before they are copied back. */
  scratch: Uint32Array
  /** The bins that go left in the split being applied (1 = left). */
  inLeft: Uint8Array
  trainRows: Uint32Array
  g: Float32Array
  h: Float32Array
  raw: Float64Array
  y: Float64Array
}

/**
 * The work of a boosting iteration that splits by rows — histograms and partitions of large
 * nodes, log-loss gradients — cut into two fixed halves, the second half handed to a helper thread when the
 * machine has one. The halves and the order in which their histograms are added never change,
 * so the trees are the same with or without the helper.
 */
export class RowParallel {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(28))
  private readonly helperHist: Float64Array
  private readonly worker: Worker | null

  constructor(private readonly s: SharedTrainingState) {
    this.helperHist = new Float64Array(new SharedArrayBuffer(s.F * HIST * 8))
    if (availableThreads() < 2 || s.trainRows.length < 2 * MIN_PARALLEL_ROWS) {
      this.worker = null
      return
    }
    const script = workerScript(import.meta.url, 'gbdt-worker')
    this.worker = new Worker(script.file, { eval: script.eval ?? false })
    this.worker.postMessage({ ...s, ctrl: this.ctrl, hist: this.helperHist })
    this.worker.unref()
  }

  /** Histogram of indices[start, end) into `out` (zeroed here). */
  histogram(out: Float64Array, start: number, end: number): void {
    out.fill(0)
    const s = this.s
    if (end - start < MIN_PARALLEL_ROWS) {
      accumulate(out, s.F, s.rowBins, s.indices, s.g, s.h, start, end)
      return
    }
    const mid = (start + end) >>> 1
    this.helper(OP_HISTOGRAM, mid, end, () =>
      accumulate(out, s.F, s.rowBins, s.indices, s.g, s.h, start, mid),
    )
    for (let i = 0; i < out.length; i++) out[i]! += this.helperHist[i]!
  }

  /**
   * Stable partition of indices[start, end) on `feature` by `s.inLeft`: left rows first, then
   * right rows, each in their previous order (the same result however the halves are cut); and
   * in the same pass the histogram of one side (`histSide`: 1 = left, 0 = right) into `out`.
   * Returns the end of the left part.
   */
  partition(feature: number, start: number, end: number, out: Float64Array, histSide: number): number {
    const s = this.s
    out.fill(0)
    const part = (a: number, b: number) =>
      partitionRows(s.indices, s.scratch, s.rowBins, s.F, feature, s.inLeft, a, b, out, histSide, s.g, s.h)
    if (end - start < MIN_PARALLEL_ROWS) {
      const l = part(start, end)
      s.indices.set(s.scratch.subarray(start, start + (end - start - l)), start + l)
      return start + l
    }
    const mid = (start + end) >>> 1
    this.ctrl[4] = feature
    this.ctrl[6] = histSide
    let lA = 0
    this.helper(OP_PARTITION, mid, end, () => {
      lA = part(start, mid)
    })
    for (let i = 0; i < out.length; i++) out[i]! += this.helperHist[i]!
    const lB = this.ctrl[5]!
    // [lefts A | rights A→scratch] [lefts B | rights B→scratch]  →  [lefts A, lefts B, rights A, rights B]
    s.indices.copyWithin(start + lA, mid, mid + lB)
    const rA = mid - start - lA
    s.indices.set(s.scratch.subarray(start, start + rA), start + lA + lB)
    s.indices.set(s.scratch.subarray(mid, end - lB), start + lA + lB + rA)
    return start + lA + lB
  }

  /** Log-loss gradients of every training row. */
  gradients(): void {
    const s = this.s
    const n = s.trainRows.length
    const mid = n >>> 1
    this.helper(OP_GRADIENTS, mid, n, () => logLossGradients(s.trainRows, s.raw, s.y, s.g, s.h, 0, mid))
  }

  /** Runs [start, end) of `op` on the helper (or here, without one) while `mine` runs here. */
  private helper(op: number, start: number, end: number, mine: () => void): void {
    const c = this.ctrl
    if (!this.worker) {
      mine()
      runOp({ ...this.s, ctrl: c, hist: this.helperHist }, op, start, end)
      return
    }
    c[1] = op
    c[2] = start
    c[3] = end
    Atomics.store(c, 0, POSTED)
    Atomics.notify(c, 0)
    mine()
    while (Atomics.load(c, 0) !== DONE) Atomics.wait(c, 0, POSTED)
    Atomics.store(c, 0, IDLE)
    Atomics.notify(c, 0)
  }

  close(): void {
    if (!this.worker) return
    Atomics.store(this.ctrl, 0, STOP)
    Atomics.notify(this.ctrl, 0)
  }
}

/** The helper thread's loop (gbdt-worker.ts runs it). */
export function serveRowWork(init: SharedTrainingState & { ctrl: Int32Array; hist: Float64Array }): void {
  const c = init.ctrl
  for (;;) {
    Atomics.wait(c, 0, IDLE)
    const state = Atomics.load(c, 0)
    if (state === STOP) return
    if (state !== POSTED) continue
    runOp(init, c[1]!, c[2]!, c[3]!)
    Atomics.store(c, 0, DONE)
    Atomics.notify(c, 0)
    Atomics.wait(c, 0, DONE)
  }
}

/** The helper's share of an operation (run here when there is no helper thread). */
let localHist: Float64Array | undefined

function runOp(
  s: SharedTrainingState & { ctrl: Int32Array; hist: Float64Array },
  op: number,
  start: number,
  end: number,
): void {
  // Histograms add up in a local array: read-modify-write loops run slower on shared memory.
  localHist ??= new Float64Array(s.hist.length)
  const local = localHist
  local.fill(0)
  if (op === OP_HISTOGRAM) {
    accumulate(local, s.F, s.rowBins, s.indices, s.g, s.h, start, end)
    s.hist.set(local)
  } else if (op === OP_GRADIENTS) logLossGradients(s.trainRows, s.raw, s.y, s.g, s.h, start, end)
  else {
    s.ctrl[5] = partitionRows(
      s.indices,
      s.scratch,
      s.rowBins,
      s.F,
      s.ctrl[4]!,
      s.inLeft,
      start,
      end,
      local,
      s.ctrl[6]!,
      s.g,
      s.h,
    )
    s.hist.set(local)
  }
}
