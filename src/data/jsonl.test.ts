import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cell } from './frame.js'
import { loadFrame } from './load.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-jsonl-'))
const file = (name: string, content: string) => {
  const f = path.join(dir, name)
  writeFileSync(f, content)
  return f
}

describe('JSONL', () => {
  it('takes the union of keys; absent keys and nulls are missing; nested values are JSON text', async () => {
    const f = file(
      'a.jsonl',
      '{"x":1,"s":"a"}\n{"x":2.5,"t":"2001-03-01T12:00:00Z","o":{"k":[1,2]}}\n\n{"x":null,"s":"b","b":true}\n',
    )
    const { frame, format } = await loadFrame(f)
    expect(format).toBe('jsonl')
    expect(frame.rows).toBe(3)
    expect(frame.columns.map((c) => c.name)).toEqual(['x', 's', 't', 'o', 'b'])
    const byName = Object.fromEntries(frame.columns.map((c) => [c.name, c]))
    expect([0, 1, 2].map((i) => cell(byName.x!, i))).toEqual([1, 2.5, null])
    expect(byName.x).toMatchObject({ dtype: 'float' })
    expect([0, 1, 2].map((i) => cell(byName.s!, i))).toEqual(['a', null, 'b'])
    expect(byName.t).toMatchObject({ kind: 'datetime', missingCount: 2 })
    expect(cell(byName.o!, 1)).toBe('{"k":[1,2]}')
    expect([0, 1, 2].map((i) => cell(byName.b!, i))).toEqual([null, null, true])
  })

  it('names the file and line of invalid JSON and of a line that is not an object', async () => {
    const bad = file('bad.jsonl', '{"x":1}\n{"x":\n')
    await expect(loadFrame(bad)).rejects.toThrow(`${bad}:2: not valid JSON`)
    const arr = file('arr.jsonl', '{"x":1}\n[1,2]\n')
    await expect(loadFrame(arr)).rejects.toThrow(`${arr}:2: expected a JSON object per line, found an array`)
  })
})
