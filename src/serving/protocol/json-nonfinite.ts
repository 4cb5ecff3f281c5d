import { LosslessNumber } from 'lossless-json'

/**
 * A `NaN`, `Infinity` or `-Infinity` token, which Python's json module (and tritonclient's
 * rapidjson) write for the floats JSON has no literal for. Kept apart from plain numbers so that a
 * literal too large for a double (`1e400`, which JSON.parse turns into Infinity) can still be told
 * from an Infinity the client meant.
 */
export class NonFinite {
  constructor(readonly value: 'NaN' | 'Infinity' | '-Infinity') {}

  get number(): number {
    return Number(this.value)
  }
}

/** Deepest nesting of arrays and objects this reader follows (request bodies nest a few levels). */
const MAX_DEPTH = 1000

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y
const SPACE = /[ \t\n\r]*/y
/** 16 digits in a row: a literal that may be an integer a double cannot hold exactly. */
const LONG_DIGITS = /\d{16}/

/**
 * Parses JSON that may hold NaN, Infinity and -Infinity wherever a value may be, as Python's
 * json.loads does. The server tries JSON.parse first and comes here only when that fails, so this
 * reader is never on the path of an ordinary body. Numbers with a run of 16 digits stay literal
 * text (LosslessNumber), as in the lossless reader; the others are doubles. A key given twice keeps
 * its last value. Throws a SyntaxError that says where, as the other readers do.
 */
export function parseWithNonFinite(text: string): unknown {
  let at = 0
  const fail = (expected: string): never => {
    const got = at < text.length ? `'${text[at]}'` : 'the end of the text'
    throw new SyntaxError(`${expected} expected but got ${got} at position ${at}`)
  }
  const space = () => {
    SPACE.lastIndex = at
    SPACE.exec(text)
    at = SPACE.lastIndex
  }
  const literal = <T>(word: string, value: T): T => {
    if (!text.startsWith(word, at)) fail('JSON value')
    at += word.length
    return value
  }
  const string = (): string => {
    STRING.lastIndex = at
    const m = STRING.exec(text)
    if (!m) return fail('String')
    at += m[0].length
    return JSON.parse(m[0]) as string
  }
  const number = (): number | LosslessNumber => {
    NUMBER.lastIndex = at
    const m = NUMBER.exec(text)
    if (!m) return fail('JSON value')
    at += m[0].length
    return LONG_DIGITS.test(m[0]) ? new LosslessNumber(m[0]) : Number(m[0])
  }
  const value = (depth: number): unknown => {
    space()
    switch (text[at]) {
      case '{':
        return object(depth + 1)
      case '[':
        return array(depth + 1)
      case '"':
        return string()
      case 't':
        return literal('true', true)
      case 'f':
        return literal('false', false)
      case 'n':
        return literal('null', null)
      case 'N':
        return literal('NaN', new NonFinite('NaN'))
      case 'I':
        return literal('Infinity', new NonFinite('Infinity'))
      case '-':
        return text[at + 1] === 'I' ? literal('-Infinity', new NonFinite('-Infinity')) : number()
      default:
        return number()
    }
  }
  const deeper = (depth: number) => {
    if (depth > MAX_DEPTH) throw new RangeError(`more than ${MAX_DEPTH} levels at position ${at}`)
  }
  const array = (depth: number): unknown[] => {
    deeper(depth)
    at++ // [
    const out: unknown[] = []
    space()
    if (text[at] === ']') {
      at++
      return out
    }
    for (;;) {
      out.push(value(depth))
      space()
      if (text[at] === ']') {
        at++
        return out
      }
      if (text[at] !== ',') fail("Comma ',' or ']'")
      at++
    }
  }
  const object = (depth: number): Record<string, unknown> => {
    deeper(depth)
    at++ // {
    const out: Record<string, unknown> = {}
    space()
    if (text[at] === '}') {
      at++
      return out
    }
    for (;;) {
      space()
      if (text[at] !== '"') fail('Object key')
      const key = string()
      space()
      if (text[at] !== ':') fail("Colon ':'")
      at++
      // An own property even for "__proto__", as JSON.parse makes it.
      Object.defineProperty(out, key, {
        value: value(depth),
        enumerable: true,
        writable: true,
        configurable: true,
      })
      space()
      if (text[at] === '}') {
        at++
        return out
      }
      if (text[at] !== ',') fail("Comma ',' or '}'")
      at++
    }
  }
  const result = value(0)
  space()
  if (at < text.length) fail('End of the JSON')
  return result
}
