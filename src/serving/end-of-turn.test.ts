import { describe, expect, it } from 'vitest'
import { endOfTurn } from './end-of-turn.js'

const nextTurn = () => new Promise((r) => setImmediate(r))

describe('endOfTurn', () => {
  it('holds the work of a turn and runs it together, in order, once the turn ends', async () => {
    const later = endOfTurn()
    const done: string[] = []
    later(() => done.push('a'))
    await Promise.resolve() // promise callbacks of the same turn still see nothing run
    later(() => done.push('b'))
    expect(done).toEqual([])
    await nextTurn()
    expect(done).toEqual(['a', 'b'])
  })

  it('work queued while the queue runs waits for the next turn', async () => {
    const later = endOfTurn()
    const done: string[] = []
    later(() => {
      done.push('first')
      later(() => done.push('later'))
    })
    await nextTurn()
    expect(done).toEqual(['first'])
    await nextTurn()
    expect(done).toEqual(['first', 'later'])
  })
})
