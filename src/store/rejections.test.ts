import { describe, expect, it } from 'vitest'
import { aliasMoves } from './rejections.js'

describe('where the aliases of a rejected version go', () => {
  it('to the version served now when it is of the same model, else nowhere', () => {
    const aliases = [
      { model: 'm', alias: 'champion', version: 3 },
      { model: 'other', alias: 'champion', version: 1 },
    ]
    expect(aliasMoves(aliases, { model: 'm', version: 2 })).toEqual([
      { model: 'm', alias: 'champion', from: 3, to: 2 },
      { model: 'other', alias: 'champion', from: 1, to: null },
    ])
    expect(aliasMoves(aliases, null).map((m) => m.to)).toEqual([null, null])
    // The rejected version itself answering (a forced deploy) is no place to go.
    expect(aliasMoves(aliases.slice(0, 1), { model: 'm', version: 3 })[0]!.to).toBeNull()
  })
})
