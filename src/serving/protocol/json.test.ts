import { describe, expect, it } from 'vitest'
import { protocolFailure } from '../../../test/support/protocol.js'
import { describeJson, isLosslessNumber, parseJson, stringifyJson, toPlain } from './json.js'

describe('lossless JSON', () => {
  it('keeps every number as its literal text, so INT64 beyond 2^53 is not rounded', () => {
    const v = parseJson('{"data":[9007199254740993,0.1,1e3]}') as { data: unknown[] }
    expect(v.data.every(isLosslessNumber)).toBe(true)
    expect(v.data.map(String)).toEqual(['9007199254740993', '0.1', '1e3'])
    expect(JSON.parse('9007199254740993')).toBe(9007199254740992) // what it protects against
  })

  it('says where malformed JSON failed: position, line and column', () => {
    const e = protocolFailure(() => parseJson('{"inputs": [1, 2\n  3]}'))
    expect(e.status).toBe(400)
    expect(e.message).toBe(
      "malformed JSON: Comma ',' expected after value but got '3' at position 19 (line 2, column 3)",
    )
    expect(protocolFailure(() => parseJson('')).message).toBe(
      'malformed JSON: JSON value expected but reached end of input at position 0 (line 1, column 1)',
    )
  })

  it('keeps the last of duplicate keys, as JSON.parse does, whichever parser reads the body', () => {
    expect(parseJson('{"id": "a", "id": "b"}')).toEqual({ id: 'b' })
    const long = parseJson('{"id": "a", "n": 9007199254740993, "id": "b"}') as Record<string, unknown>
    expect(long.id).toBe('b')
    expect(String(long.n)).toBe('9007199254740993')
  })

  it('parses natively when no number needs more than a double, and keeps literals when one might', () => {
    expect(parseJson('{"data":[1.5,2,1e3]}')).toEqual({ data: [1.5, 2, 1000] })
    const v = parseJson('{"data":[9007199254740993,0.1]}') as { data: unknown[] }
    expect(v.data.every(isLosslessNumber)).toBe(true)
    // A 16-digit run inside a string takes the lossless path too; the values are the same.
    expect(toPlain(parseJson('{"s":"1234567890123456","n":2}'), 'x')).toEqual({ s: '1234567890123456', n: 2 })
  })

  it('writes bigints as exact integer literals', () => {
    expect(stringifyJson({ label: [0n, 9007199254740993n, -(2n ** 63n)] })).toBe(
      '{"label":[0,9007199254740993,-9223372036854775808]}',
    )
  })

  it('turns parsed values back into plain ones: numbers, bigints past 2^53', () => {
    const v = parseJson('{"n":1,"f":0.5,"big":9007199254740993,"list":[2,"x",true,null],"o":{"k":-3}}')
    expect(toPlain(v, 'x')).toEqual({
      n: 1,
      f: 0.5,
      big: 9007199254740993n,
      list: [2, 'x', true, null],
      o: { k: -3 },
    })
  })

  it('refuses nesting thousands deep with a 400, not a stack overflow', () => {
    const deep = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`
    // With a 16-digit number the lossless parser reads the body, by recursion.
    expect(() => parseJson(`{"n":1234567890123456,"x":${deep(100_000)}}`)).toThrow(
      /^the JSON nests arrays or objects too deeply/,
    )
    const v = parseJson(`{"a":${deep(65)}}`)
    expect(() => toPlain(v, '"parameters"')).toThrow('"parameters" nests arrays or objects more than 64 deep')
    expect(toPlain(parseJson(deep(64)), 'x')).toEqual(JSON.parse(deep(64)))
  })

  it('describes values for messages, cutting long strings', () => {
    const [n, s, b, nul, arr, obj] = parseJson('[1.5,"far",true,null,[],{}]') as unknown[]
    expect([n, s, b, nul, arr, obj].map(describeJson)).toEqual([
      'number 1.5',
      'string "far"',
      'boolean true',
      'null',
      'an array',
      'an object',
    ])
    expect(describeJson('x'.repeat(50))).toBe(`string "${'x'.repeat(40)}…"`)
  })
})
