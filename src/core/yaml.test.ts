import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { isSluiceError } from './errors.js'
import { parseYamlWith } from './yaml.js'

const anything = z.unknown()

/** A "billion laughs" document: each anchor repeats the one before ten times (10^7 values at g). */
const laughs = [
  'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  ...'bcdef'.split('').map((l, i) => `${l}: &${l} [${Array(10).fill(`*${'abcdef'[i]}`).join(', ')}]`),
  `g: [${Array(10).fill('*f').join(', ')}]`,
].join('\n')

function refusal(text: string): string {
  try {
    parseYamlWith(anything, text, 'bomb.yaml')
  } catch (e) {
    if (isSluiceError(e, 'INVALID_CONFIG')) return e.message
    throw e
  }
  throw new Error('the document was accepted')
}

describe('parseYamlWith on hostile documents', () => {
  it('refuses aliases that expand to too many values, naming the file', () => {
    expect(refusal(laughs)).toBe(
      'bomb.yaml: its aliases (*name) expand to too many values, as in a "billion laughs" document; write the repeated values out',
    )
  })

  it('refuses nesting deeper than 64 levels, however it is written, in one sentence', () => {
    const tooDeep =
      'lists or objects nested more than 64 levels deep; sluice reads no deeper, so flatten them'
    // Deep enough that the parser itself would overflow the stack.
    expect(refusal('['.repeat(100_000))).toBe(`bomb.yaml:1: ${tooDeep}`)
    expect(refusal('{a: '.repeat(20_000))).toBe(`bomb.yaml:1: ${tooDeep}`)
    expect(refusal('- '.repeat(50_000) + 'x')).toBe(`bomb.yaml:1: ${tooDeep}`)
    // Deep enough to parse, too deep to read on: caught after parsing.
    expect(refusal(`${'['.repeat(65)}${']'.repeat(65)}`)).toBe(`bomb.yaml: ${tooDeep}`)
    let block = ''
    for (let i = 0; i < 100; i++) block += `${' '.repeat(i)}k:\n`
    expect(refusal(block)).toBe(`bomb.yaml: ${tooDeep}`)
    // An alias inside its own anchor is a list that contains itself: endlessly deep.
    expect(refusal('a: &a [1, *a]')).toBe(`bomb.yaml: ${tooDeep}`)
  })

  it('refuses a document too deep to parse before parsing it, at the line where it gets too deep', () => {
    // The parser's stack overflow is not always a RangeError: V8 may hit it while compiling one of
    // the parser's regular expressions and abort the process (test/clear-failures-cli.test.ts).
    const tooDeep =
      'lists or objects nested more than 64 levels deep; sluice reads no deeper, so flatten them'
    let block = ''
    for (let i = 0; i < 1000; i++) block += `${' '.repeat(i)}k:\n`
    // Two levels counted per indentation (a sequence may share its map's column): 128 lines pass.
    expect(refusal(block)).toBe(`bomb.yaml:129: ${tooDeep}`)
    expect(refusal(`a: 1\nb:\n  - ${'['.repeat(200)}`)).toBe(`bomb.yaml:3: ${tooDeep}`)
  })

  it('reads nesting up to the limit however it is indented, and a few aliases as before', () => {
    let indented = ''
    for (let i = 0; i < 63; i++) indented += `${'    '.repeat(i)}k:\n`
    expect(parseYamlWith(anything, `${indented}${'    '.repeat(63)}k: 1\n`, 'ok.yaml')).toBeDefined()
    expect(parseYamlWith(anything, `${'['.repeat(64)}1${']'.repeat(64)}`, 'ok.yaml')).toBeDefined()
    expect(parseYamlWith(anything, 'a: &a [1, 2]\nb: *a\nc: *a', 'ok.yaml')).toEqual({
      a: [1, 2],
      b: [1, 2],
      c: [1, 2],
    })
  })
})
