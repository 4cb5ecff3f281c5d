import { describe, expect, it } from 'vitest'
import { Batcher } from './batcher.js'
import { InferenceTimeout } from './infer.js'
import type { InputTensor } from './protocol/datatypes.js'
import type { OutputTensor } from './protocol/outputs.js'

const input = (values: number[], cities: string[]): Record<string, InputTensor> => ({
  x: { datatype: 'FP32', dims: [values.length, 1], data: Float32Array.from(values) },
  city: { datatype: 'BYTES', dims: [cities.length, 1], data: cities },
})

/** A "model" that doubles x and echoes the city, recording the batch sizes it saw. */
function model(calls: number[]) {
  return async (inputs: Record<string, InputTensor>): Promise<Record<string, OutputTensor>> => {
    const x = inputs.x!.data as Float32Array
    calls.push(x.length)
    return {
      y: {
        datatype: 'FP32',
        dims: [x.length, 2],
        data: Float32Array.from([...x].flatMap((v) => [v, 2 * v])),
      },
      label: { datatype: 'BYTES', dims: [x.length], data: inputs.city!.data as string[] },
    }
  }
}

describe('Batcher', () => {
  it('stacks concurrent requests into one call and gives each its own rows back', async () => {
    const calls: number[] = []
    const b = new Batcher(model(calls), { maxRows: 100, maxWaitMs: 20 })
    const [a, c, d] = await Promise.all([
      b.submit(input([1], ['p']), 1),
      b.submit(input([2, 3], ['q', 'r']), 2),
      b.submit(input([4], ['s']), 1),
    ])
    expect(calls).toEqual([4])
    expect(a!.y).toEqual({ datatype: 'FP32', dims: [1, 2], data: Float32Array.of(1, 2) })
    expect(c!.y!.data).toEqual(Float32Array.of(2, 4, 3, 6))
    expect(c!.label).toEqual({ datatype: 'BYTES', dims: [2], data: ['q', 'r'] })
    expect(d!.label!.data).toEqual(['s'])
  })

  it('closes a batch when it is full, and a lone request without waiting for the timer', async () => {
    const calls: number[] = []
    const b = new Batcher(model(calls), { maxRows: 3, maxWaitMs: 1000 })
    await Promise.all([1, 2, 3, 4].map((v) => b.submit(input([v], ['c']), 1)))
    expect(calls).toEqual([3, 1])
    const t0 = performance.now()
    await b.submit(input([9], ['c']), 1)
    // A turn of the event loop brought nothing more: waiting longer would only add latency.
    expect(performance.now() - t0).toBeLessThan(500)
    expect(calls).toEqual([3, 1, 1])
  })

  /** Submits one request per turn of the event loop, `n` times; resolves when all are answered. */
  const oneEachTurn = (b: Batcher, n: number) =>
    new Promise<void>((done, fail) => {
      const answers: Promise<unknown>[] = []
      const next = (i: number): void => {
        answers.push(b.submit(input([i], ['c']), 1))
        if (i + 1 < n) setImmediate(() => next(i + 1))
        else Promise.all(answers).then(() => done(), fail)
      }
      next(0)
    })

  it('keeps a batch open while requests keep arriving, turn after turn', async () => {
    const calls: number[] = []
    await oneEachTurn(new Batcher(model(calls), { maxRows: 100, maxWaitMs: 1000 }), 5)
    expect(calls).toEqual([5])
  })

  it('closes a batch after maxWaitMs even while requests keep arriving', async () => {
    const calls: number[] = []
    const t0 = performance.now()
    await oneEachTurn(new Batcher(model(calls), { maxRows: 1_000_000, maxWaitMs: 2 }), 20_000)
    expect(calls.reduce((a, c) => a + c, 0)).toBe(20_000)
    // One arrival per turn for longer than a few waits: the timer closed more than one batch.
    expect(performance.now() - t0).toBeGreaterThan(10)
    expect(calls.length).toBeGreaterThan(1)
  })

  it('fails every request of a batch whose call fails', async () => {
    const b = new Batcher(async () => Promise.reject(new Error('boom')), { maxRows: 10, maxWaitMs: 5 })
    const results = await Promise.allSettled([b.submit(input([1], ['a']), 1), b.submit(input([2], ['b']), 1)])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
  })

  it('times a model call once for all its requests: past timeoutMs each fails with InferenceTimeout', async () => {
    const hang = () => new Promise<Record<string, OutputTensor>>(() => {})
    const b = new Batcher(hang, { maxRows: 100, maxWaitMs: 5, timeoutMs: 40 })
    const results = await Promise.allSettled([b.submit(input([1], ['p']), 1), b.submit(input([2], ['q']), 1)])
    expect(b.stats.calls).toBe(1)
    for (const r of results) {
      expect(r.status).toBe('rejected')
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(InferenceTimeout)
    }
  })

  it('answers from a model call that ends on this thread, and fails each request of a call that throws', async () => {
    const calls: number[] = []
    const sync = (inputs: Record<string, InputTensor>) => {
      calls.push(inputs.x!.dims[0]!)
      if ((inputs.x!.data as Float32Array)[0] === -1) throw new Error('bad row')
      return {
        y: { datatype: 'FP32' as const, dims: [inputs.x!.dims[0]!, 1], data: inputs.x!.data as Float32Array },
      }
    }
    const b = new Batcher(sync, { maxRows: 100, maxWaitMs: 5, timeoutMs: 1000 })
    const [a, c] = await Promise.all([b.submit(input([7], ['p']), 1), b.submit(input([8], ['q']), 1)])
    expect(a!.y!.data).toEqual(Float32Array.of(7))
    expect(c!.y!.data).toEqual(Float32Array.of(8))
    const failed = await Promise.allSettled([b.submit(input([-1], ['p']), 1), b.submit(input([9], ['q']), 1)])
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(calls).toEqual([2, 2])
  })
})
