import { existsSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parentPort, type TransferListItem, Worker } from 'node:worker_threads'
import { ERROR_CODES, type ErrorCode, SluiceError } from './errors.js'

/**
 * Finds a worker script named `name` beside the calling module, whichever way sluice runs: the
 * CLI bundle (`name.mjs` in dist/bundle), the compiled library (`name.js`), or the TypeScript
 * sources under test (`name.ts`, loaded through tsx).
 */
export function workerScript(callerUrl: string, name: string): WorkerScript {
  for (const ext of ['.mjs', '.js']) {
    const file = fileURLToPath(new URL(`./${name}${ext}`, callerUrl))
    if (existsSync(file)) return { file }
  }
  const source = new URL(`./${name}.ts`, callerUrl)
  if (!existsSync(fileURLToPath(source)))
    throw new Error(`worker script ${name} not found beside ${callerUrl}`)
  // TypeScript sources (tests, benchmarks): register tsx in the worker, then load the module.
  const tsx = import.meta.resolve('tsx/esm/api')
  return {
    file: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source.href)}) })`,
    eval: true,
  }
}

export interface WorkerScript {
  /** A file path, or (with `eval`) code that loads the worker module. */
  file: string
  eval?: boolean
}

/** Threads worth starting on this machine (one per core, at least one). */
export const availableThreads = () => Math.max(1, os.availableParallelism?.() ?? os.cpus().length)

interface Pending {
  resolve(value: unknown): void
  reject(error: unknown): void
}

/**
 * A fixed set of worker threads running one script; tasks queue and go to the next idle worker.
 * Each worker answers `{ result }` or `{ error: { message, code? } }` per task; an error whose code
 * is a SluiceError code comes back as that SluiceError.
 */
export class WorkerPool {
  private readonly idle: Worker[] = []
  private readonly queue: { task: unknown; transfer: TransferListItem[]; pending: Pending }[] = []
  private readonly busy = new Map<Worker, Pending>()
  private readonly workers: Worker[]

  constructor(script: WorkerScript, size: number, limits?: { maxYoungGenerationSizeMb?: number }) {
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(script.file, {
        eval: script.eval ?? false,
        ...(limits && { resourceLimits: limits }),
      })
      w.on('message', (msg: { result?: unknown; error?: { message: string; code?: string } }) => {
        const pending = this.busy.get(w)!
        this.busy.delete(w)
        if (msg.error) {
          const code = msg.error.code
          pending.reject(
            code && code in ERROR_CODES
              ? new SluiceError(code as ErrorCode, msg.error.message)
              : new Error(msg.error.message),
          )
        } else pending.resolve(msg.result)
        this.next(w)
      })
      w.on('error', (e) => {
        this.busy.get(w)?.reject(e)
        this.busy.delete(w)
      })
      return w
    })
    this.idle.push(...this.workers)
  }

  run<T>(task: unknown, transfer: TransferListItem[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ task, transfer, pending: { resolve: resolve as (v: unknown) => void, reject } })
      const w = this.idle.pop()
      if (w) this.next(w)
    })
  }

  private next(w: Worker): void {
    const job = this.queue.shift()
    if (!job) {
      this.idle.push(w)
      return
    }
    this.busy.set(w, job.pending)
    w.postMessage(job.task, job.transfer)
  }

  /**
   * Asks each worker to release what it holds and end on its own; `terminate()` only for one that
   * has not ended within a second. (Terminating a thread that holds an onnxruntime session can
   * abort the whole process from a native finalizer.)
   */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void w.terminate(), 1000)
            w.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            w.postMessage(CLOSE)
          }),
      ),
    )
  }
}

/** The message that asks a worker to clean up and end. */
const CLOSE = { __sluiceClose: true }

/**
 * The worker side of a WorkerPool: answers each task with the handler's result (and moves the
 * buffers it lists instead of copying them), or with the error's message and code.
 */
export function serveTasks<T>(
  handle: (task: T) => Promise<{ result: unknown; transfer?: TransferListItem[] }>,
  /** Releases what the worker holds (native sessions) before it ends. */
  cleanup?: () => Promise<void> | void,
): void {
  const port = parentPort
  if (!port) throw new Error('serveTasks runs inside a worker thread')
  port.on('message', async (task: T) => {
    if ((task as { __sluiceClose?: boolean })?.__sluiceClose) {
      await cleanup?.()
      port.close() // nothing left to wait for: the thread ends
      return
    }
    try {
      const { result, transfer } = await handle(task)
      port.postMessage({ result }, transfer ?? [])
    } catch (e) {
      port.postMessage({ error: { message: (e as Error).message, code: (e as { code?: string }).code } })
    }
  })
}
