import { describe, expect, it } from 'vitest'
import { protocolFailure } from '../../../test/support/protocol.js'
import {
  describeJson,
  isLosslessNumber,
  isObject,
  NonFinite,
  parseJson,
  stringifyJson,
  toPlain,
} from './json.js'

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

describe("NaN and Infinity tokens (Python's json writes them)", () => {
  it('reads them wherever a value may be, as the numbers they name', () => {
    const v = parseJson('{"data": [1, NaN, Infinity, -Infinity], "p": {"t": NaN}}') as {
      data: unknown[]
      p: Record<string, unknown>
    }
    expect(v.data).toEqual([1, new NonFinite('NaN'), new NonFinite('Infinity'), new NonFinite('-Infinity')])
    expect(v.data.slice(1).map(describeJson)).toEqual(['number NaN', 'number Infinity', 'number -Infinity'])
    expect(toPlain(v.p, 'x')).toEqual({ t: Number.NaN })
    expect(isObject(v.data[1])).toBe(false)
  })

  it('keeps the rest of JSON as the other readers do: strings, long integers, duplicate keys, __proto__', () => {
    const v = parseJson(
      '{"s": "NaN \\"Infinity\\" \\u00e9", "n": 9007199254740993, "f": 0.5, "k": 1, "k": NaN, "__proto__": 1, "x": [NaN]}',
    ) as Record<string, unknown>
    expect(v.s).toBe('NaN "Infinity" é')
    expect(isLosslessNumber(v.n) && v.n.value).toBe('9007199254740993')
    expect(v.f).toBe(0.5)
    expect(v.k).toEqual(new NonFinite('NaN'))
    expect(Object.hasOwn(v, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
  })

  it('says where a body with such a token is malformed', () => {
    expect(protocolFailure(() => parseJson('{"data": [NaN,\n  Nan]}')).message).toBe(
      "malformed JSON: JSON value expected but got 'N' at position 17 (line 2, column 3)",
    )
    expect(protocolFailure(() => parseJson('[NaN] x')).message).toBe(
      "malformed JSON: End of the JSON expected but got 'x' at position 6 (line 1, column 7)",
    )
    expect(protocolFailure(() => parseJson('[NaN, "open')).message).toBe(
      "malformed JSON: String expected but got '\"' at position 6 (line 1, column 7)",
    )
    const deep = (n: number) => `${'['.repeat(n)}NaN${']'.repeat(n)}`
    expect(() => parseJson(deep(5000))).toThrow(/^the JSON nests arrays or objects too deeply/)
    let inner = parseJson(deep(100))
    for (let i = 0; i < 100; i++) inner = (inner as unknown[])[0]
    expect(inner).toEqual(new NonFinite('NaN'))
  })
})
