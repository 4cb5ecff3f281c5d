import { describe, expect, it } from 'vitest'
import { turnWrites } from './turn-writes.js'

const nextTurn = () => new Promise((r) => setImmediate(r))

describe('turnWrites', () => {
  it('holds the writes of a turn and runs them together, in order, once the turn ends', async () => {
    const write = turnWrites()
    const done: string[] = []
    write(() => done.push('a'))
    await Promise.resolve() // promise callbacks of the same turn still see nothing written
    write(() => done.push('b'))
    expect(done).toEqual([])
    await nextTurn()
    expect(done).toEqual(['a', 'b'])
  })

  it('a write queued while the writes run goes out in the next turn', async () => {
    const write = turnWrites()
    const done: string[] = []
    write(() => {
      done.push('first')
      write(() => done.push('later'))
    })
    await nextTurn()
    expect(done).toEqual(['first'])
    await nextTurn()
    expect(done).toEqual(['first', 'later'])
  })
})
