import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cell, type Frame } from './frame.js'
import { loadFrame } from './load.js'
import { mapColumns } from './mapping.js'
import { sliceWindow } from './select.js'
import { writeFrame } from './write.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-select-'))
async function frameOf(csv: string): Promise<Frame> {
  const f = path.join(dir, `in-${Math.random()}.csv`)
  writeFileSync(f, csv)
  return (await loadFrame(f)).frame
}
const rowsOf = (f: Frame) =>
  Array.from({ length: f.rows }, (_, r) => Object.fromEntries(f.columns.map((c) => [c.name, cell(c, r)])))

const csv =
  'when,delay,origin,ok\n2001-02-28 23:59,5,SFO,true\n2001-03-01,-3,"LA, X",false\n2001-03-15 12:00,,JFK,\n2001-04-01,7,SFO,true\n,1,ORD,false\n'

describe('slicing a time window', () => {
  it('keeps rows in [from, to): from inclusive, to exclusive, naive times as UTC, missing never', async () => {
    const f = await frameOf(csv)
    const w = sliceWindow(f, { column: 'when', from: '2001-03-01', to: '2001-04-01' })
    expect(rowsOf(w).map((r) => r.when)).toEqual(['2001-03-01T00:00:00.000Z', '2001-03-15T12:00:00.000Z'])
    expect(sliceWindow(f, { column: 'when', from: null, to: '2001-03-01T00:00:00-01:00' }).rows).toBe(2)
    expect(sliceWindow(f, { column: 'delay', from: '0', to: null }).rows).toBe(3)
  })

  it('names the problem with the column or the bounds', async () => {
    const f = await frameOf(csv)
    expect(() => sliceWindow(f, { column: 'nope', from: null, to: null })).toThrow(
      /column "nope" is not in the data; its columns are when, delay, origin, ok/,
    )
    expect(() => sliceWindow(f, { column: 'origin', from: null, to: null })).toThrow(
      /slice on a datetime or numeric column/,
    )
    expect(() => sliceWindow(f, { column: 'when', from: 'March', to: null })).toThrow(
      /--from "March" is not an ISO-8601 date/,
    )
    expect(() => sliceWindow(f, { column: 'when', from: '2001-04-01', to: '2001-03-01' })).toThrow(
      /--from must be before --to/,
    )
  })

  it('writes CSV, TSV, JSONL and Parquet that read back to the same cells', async () => {
    const f = await frameOf(csv)
    for (const ext of ['.csv', '.tsv', '.jsonl', '.parquet']) {
      const out = path.join(dir, `out${ext}`)
      await writeFrame(f, out)
      const back = (await loadFrame(out)).frame
      expect(rowsOf(back), ext).toEqual(rowsOf(f))
    }
    await expect(writeFrame(f, path.join(dir, 'out.xlsx'))).rejects.toThrow(/cannot tell the format/)
  })
})

describe('column mapping', () => {
  it('types target and prediction by task, applies lists, and leaves out id and datetime columns', async () => {
    const f = await frameOf(
      'id,at,x,y,label,score,note\n1,2001-01-01,1.5,a,1,0.2,hi\n2,2001-01-02,2.5,b,0,0.9,yo\n',
    )
    expect(mapColumns(f, {})).toEqual([
      { name: 'id', type: 'categorical', role: 'feature' },
      { name: 'x', type: 'numerical', role: 'feature' },
      { name: 'y', type: 'text', role: 'feature' },
      { name: 'label', type: 'categorical', role: 'feature' },
      { name: 'score', type: 'numerical', role: 'feature' },
      { name: 'note', type: 'text', role: 'feature' },
    ])
    const m = mapColumns(f, {
      id: 'id',
      datetime: 'at',
      target: 'label',
      prediction: 'score',
      task: 'regression',
      categorical: ['y', 'note'],
    })
    expect(m).toEqual([
      { name: 'x', type: 'numerical', role: 'feature' },
      { name: 'y', type: 'categorical', role: 'feature' },
      { name: 'label', type: 'numerical', role: 'target' },
      { name: 'score', type: 'numerical', role: 'prediction' },
      { name: 'note', type: 'categorical', role: 'feature' },
    ])
    expect(
      mapColumns(f, { target: 'label', task: 'classification' }).find((c) => c.name === 'label')!.type,
    ).toBe('categorical')
  })

  it('refuses unknown columns, double assignments and text given as numerical', async () => {
    const f = await frameOf('a,b\n1,x\n2,y\n')
    expect(() => mapColumns(f, { target: 'c' })).toThrow(
      'column "c" given as target is not in the data; its columns are a, b',
    )
    expect(() => mapColumns(f, { numerical: ['a'], categorical: ['a'] })).toThrow(
      /given both as numerical and as categorical/,
    )
    expect(() => mapColumns(f, { numerical: ['b'] })).toThrow(
      /"b" is given as numerical but holds non-numeric values such as "x"/,
    )
  })
})
