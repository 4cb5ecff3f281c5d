import { mkdtempSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parquetWriteFile } from 'hyparquet-writer'
import { describe, expect, it } from 'vitest'
import { FLIGHTS_PARQUET } from '../../test/support/flights.js'
import { cell } from './frame.js'
import { inferSchema } from './infer.js'
import { loadFrame } from './load.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-parquet-'))

describe('Parquet', () => {
  it('reads typed columns with nulls (Snappy)', async () => {
    const f = path.join(dir, 'typed.parquet')
    parquetWriteFile({
      filename: f,
      columnData: [
        { name: 'i', data: [1, 2, null, 4, 5, 6], type: 'INT32' },
        { name: 'big', data: [10n, 20n, 30n, 40n, 50n, 60n], type: 'INT64' },
        { name: 'x', data: [0.5, null, 1.5, 2.5, 3.5, 4.5], type: 'DOUBLE' },
        { name: 's', data: ['a', 'b', null, 'a', 'b', 'a'], type: 'STRING' },
        { name: 'b', data: [true, false, true, null, true, false], type: 'BOOLEAN' },
        {
          name: 't',
          data: [new Date('2001-01-01T10:00:00Z'), null, null, null, null, new Date('2001-06-30T23:59:00Z')],
          type: 'TIMESTAMP',
        },
      ],
    })
    const { frame, format } = await loadFrame(f)
    expect(format).toBe('parquet')
    expect(frame.rows).toBe(6)
    const c = Object.fromEntries(frame.columns.map((col) => [col.name, col]))
    expect([0, 1, 2, 3].map((r) => cell(c.i!, r))).toEqual([1, 2, null, 4])
    expect(cell(c.big!, 5)).toBe(60)
    expect(c.x).toMatchObject({ dtype: 'float', missingCount: 1 })
    expect([0, 1, 2].map((r) => cell(c.s!, r))).toEqual(['a', 'b', null])
    expect([0, 1, 3].map((r) => cell(c.b!, r))).toEqual([true, false, null])
    expect(cell(c.t!, 0)).toBe('2001-01-01T10:00:00.000Z')
    expect(cell(c.t!, 5)).toBe('2001-06-30T23:59:00.000Z')
    expect(inferSchema(frame).map((s) => [s.name, s.type])).toEqual([
      ['i', 'categorical'], // 5 distinct integers
      ['big', 'numerical'], // 6 distinct integers
      ['x', 'numerical'],
      ['s', 'categorical'],
      ['b', 'categorical'],
      ['t', 'datetime'],
    ])
  })

  it('reads the ZSTD-compressed flights file, naive timestamps as UTC', async () => {
    const { frame } = await loadFrame(FLIGHTS_PARQUET)
    expect(frame.rows).toBe(3_000_000)
    expect(inferSchema(frame).map((s) => `${s.name}:${s.type}:${s.dtype}`)).toEqual([
      'date:datetime:datetime',
      'delay:numerical:int',
      'distance:numerical:int',
      'origin:categorical:string',
      'destination:categorical:string',
    ])
    const date = frame.columns[0]!
    expect(date.kind === 'datetime' && Math.min(...date.values.subarray(0, 1000))).toBeGreaterThanOrEqual(
      Date.UTC(2001, 0, 1),
    )
  })

  it('names the file of a truncated Parquet file', async () => {
    const good = path.join(dir, 'good.parquet')
    parquetWriteFile({ filename: good, columnData: [{ name: 'a', data: [1, 2, 3], type: 'INT32' }] })
    const bytes = await readFile(good)
    const cut = path.join(dir, 'cut.parquet')
    await writeFile(cut, bytes.subarray(0, bytes.length - 9))
    await expect(loadFrame(cut)).rejects.toThrow(`${cut} is not a readable Parquet file`)
  })
})
