import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Column, cell, type Frame } from './frame.js'
import { loadFrame } from './load.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-csv-'))
let n = 0
function file(content: string, ext = '.csv'): string {
  const f = path.join(dir, `f${n++}${ext}`)
  writeFileSync(f, content)
  return f
}
const load = async (content: string, ext = '.csv') => (await loadFrame(file(content, ext))).frame
const col = (frame: Frame, name: string): Column => frame.columns.find((c) => c.name === name)!
const cells = (frame: Frame, name: string) =>
  Array.from({ length: frame.rows }, (_, i) => cell(col(frame, name), i))

describe('CSV', () => {
  it('reads numbers, strings, booleans and datetimes with explicit missing values', async () => {
    const f = await load(
      'a,b,c,d,e\n1,x,true,2001-01-05 10:30,1.5\n2,,false,2001-01-06,\n3,z,,2001-01-07T00:00:00Z,NaN\n',
    )
    expect(f.rows).toBe(3)
    expect(col(f, 'a')).toMatchObject({ kind: 'number', dtype: 'int', missingCount: 0 })
    expect(cells(f, 'b')).toEqual(['x', null, 'z'])
    expect(cells(f, 'c')).toEqual([true, false, null])
    expect(col(f, 'd').kind).toBe('datetime')
    expect(cells(f, 'd')).toEqual([
      '2001-01-05T10:30:00.000Z',
      '2001-01-06T00:00:00.000Z',
      '2001-01-07T00:00:00.000Z',
    ])
    expect(col(f, 'e')).toMatchObject({ dtype: 'float', missingCount: 2 })
    expect(Array.from(col(f, 'e').missing)).toEqual([0, 1, 1])
  })

  it('handles quotes, doubled quotes, delimiters and newlines inside quotes, CRLF and a BOM', async () => {
    const f = await load('\ufeffname,note\r\n"Smith, J","said ""hi""\nthen left"\r\n plain ,""\r\n')
    expect(f.columns.map((c) => c.name)).toEqual(['name', 'note'])
    expect(cells(f, 'name')).toEqual(['Smith, J', ' plain '])
    expect(cells(f, 'note')).toEqual(['said "hi"\nthen left', null])
  })

  it('parses decimal numbers exactly as Number() does', async () => {
    const values = [
      '0.1',
      '-2.5e-3',
      '123456789012345678',
      '3.14159265358979',
      '1e308',
      '.5',
      '-0',
      '+7',
      ' 42',
    ]
    const f = await load(`x\n${values.join('\n')}\n`)
    const x = col(f, 'x')
    expect(x.kind).toBe('number')
    if (x.kind === 'number') expect(Array.from(x.values)).toEqual(values.map((v) => Number(v)))
  })

  it('reads TSV by extension and skips blank lines', async () => {
    const f = await load('a\tb\n1\tq\n\n2\tr\n', '.tsv')
    expect(f.rows).toBe(2)
    expect(cells(f, 'b')).toEqual(['q', 'r'])
  })

  it('falls back to strings when a numeric column meets text, keeping earlier cells as text', async () => {
    const f = await load('v\n1\n2.50\nabc\n')
    expect(col(f, 'v')).toMatchObject({ kind: 'category', dtype: 'string' })
    expect(cells(f, 'v')).toEqual(['1', '2.5', 'abc'])
  })

  it('reads chunk boundaries correctly on a large file', async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => `${i},"q,${i % 7}",${(i * 0.25).toFixed(2)}`)
    const f = await load(`i,s,x\n${rows.join('\n')}`)
    expect(f.rows).toBe(200_000)
    const i = col(f, 'i')
    if (i.kind !== 'number') throw new Error('expected numbers')
    expect(i.values[199_999]).toBe(199_999)
    expect(cell(col(f, 's'), 123_456)).toBe(`q,${123_456 % 7}`)
    expect(cell(col(f, 'x'), 3)).toBe(0.75)
  })

  it('names the file and line of a row with the wrong number of fields', async () => {
    const f = file('a,b\n1,2\n3\n')
    await expect(loadFrame(f)).rejects.toThrow(`${f}:3: expected 2 fields (as in the header), found 1`)
  })

  it('names the line of an unterminated quote and of text after a closing quote', async () => {
    const f = file('a,b\n1,"open\n2,3\n')
    await expect(loadFrame(f)).rejects.toThrow(`${f}:2: a quoted field is never closed`)
    const g = file('a\n"x"y\n')
    await expect(loadFrame(g)).rejects.toThrow(`${g}:2: unexpected text after a closing quote`)
  })

  it('refuses empty files, header-only files, duplicate column names and missing files', async () => {
    await expect(loadFrame(file(''))).rejects.toThrow(/is empty/)
    await expect(loadFrame(file('a,b\n'))).rejects.toThrow(/has no data rows/)
    await expect(loadFrame(file('a,a\n1,2\n'))).rejects.toThrow(/column "a" appears twice/)
    await expect(loadFrame(path.join(dir, 'nope.csv'))).rejects.toThrow(/does not exist/)
  })
})
