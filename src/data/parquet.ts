import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, type SchemaElement } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { SluiceError } from '../core/errors.js'
import { type Column, type Frame, sharedFloat64, sharedInt32, sharedUint8 } from './frame.js'

type Target = 'int' | 'float' | 'bool' | 'datetime' | 'string'

/** Timestamps and dates arrive as epoch milliseconds (UTC; naive timestamps are read as UTC). */
const parsers = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1e3,
  timestampFromNanoseconds: (v: bigint) => Number(v) / 1e6,
  dateFromDays: (days: number) => days * 86_400_000,
}

/**
 * Reads a Parquet file (any codec hyparquet-compressors knows: Snappy, ZSTD, gzip, Brotli, LZ4)
 * into a frame. Column types come from the file's schema; nested columns are kept as JSON text.
 */
export async function readParquet(file: string): Promise<Frame> {
  const buffer = await asyncBufferFromFile(file)
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>
  try {
    metadata = await parquetMetadataAsync(buffer)
  } catch (e) {
    throw new SluiceError(
      'UNREADABLE_FILE',
      `${file} is not a readable Parquet file: ${(e as Error).message}`,
    )
  }
  const rows = Number(metadata.num_rows)
  const top = topLevelColumns(metadata.schema)
  const cols = top.map(
    ({ element, nested }) => new ParquetColumn(element.name, nested ? 'string' : target(element), rows),
  )
  const byName = new Map(cols.map((c) => [c.name, c]))
  try {
    await parquetRead({
      file: buffer,
      metadata,
      compressors,
      parsers,
      onChunk(chunk) {
        byName.get(chunk.columnName)?.fill(chunk.rowStart, chunk.columnData as ArrayLike<unknown>)
      },
    })
  } catch (e) {
    throw new SluiceError(
      'UNREADABLE_FILE',
      `${file}: could not read Parquet data (truncated or corrupt?): ${(e as Error).message}`,
    )
  }
  return { rows, columns: cols.map((c) => c.build()) }
}

function topLevelColumns(schema: SchemaElement[]): { element: SchemaElement; nested: boolean }[] {
  const out: { element: SchemaElement; nested: boolean }[] = []
  const rootChildren = schema[0]?.num_children ?? 0
  let i = 1
  for (let c = 0; c < rootChildren; c++) {
    const element = schema[i]!
    out.push({ element, nested: (element.num_children ?? 0) > 0 || element.repetition_type === 'REPEATED' })
    i = skipSubtree(schema, i)
  }
  return out
}

function skipSubtree(schema: SchemaElement[], i: number): number {
  const children = schema[i]?.num_children ?? 0
  let next = i + 1
  for (let c = 0; c < children; c++) next = skipSubtree(schema, next)
  return next
}

function target(e: SchemaElement): Target {
  const logical = e.logical_type?.type
  if (logical === 'TIMESTAMP' || logical === 'DATE') return 'datetime'
  if (
    e.converted_type === 'TIMESTAMP_MILLIS' ||
    e.converted_type === 'TIMESTAMP_MICROS' ||
    e.converted_type === 'DATE'
  )
    return 'datetime'
  if (logical === 'DECIMAL' || e.converted_type === 'DECIMAL') return 'float'
  switch (e.type) {
    case 'BOOLEAN':
      return 'bool'
    case 'INT32':
    case 'INT64':
      return 'int'
    case 'FLOAT':
    case 'DOUBLE':
      return 'float'
    default:
      return 'string'
  }
}

class ParquetColumn {
  private values: Float64Array
  private codes: Int32Array
  private missing: Uint8Array
  private missingCount = 0
  private dictionary: string[] = []
  private index = new Map<string, number>()

  constructor(
    readonly name: string,
    private readonly target: Target,
    rows: number,
  ) {
    const coded = target === 'string' || target === 'bool'
    this.values = sharedFloat64(coded ? 0 : rows)
    this.codes = sharedInt32(coded ? rows : 0)
    this.missing = sharedUint8(rows)
  }

  fill(start: number, data: ArrayLike<unknown>): void {
    const n = data.length
    if (this.target === 'string' || this.target === 'bool') {
      for (let i = 0; i < n; i++) {
        const v = data[i]
        if (v === null || v === undefined) this.setMissing(start + i)
        else this.codes[start + i] = this.code(this.target === 'bool' ? String(Boolean(v)) : text(v))
      }
      return
    }
    for (let i = 0; i < n; i++) {
      const v = data[i]
      if (v === null || v === undefined) this.setMissing(start + i)
      else this.values[start + i] = typeof v === 'number' ? v : v instanceof Date ? v.getTime() : Number(v)
    }
  }

  private setMissing(row: number): void {
    this.missing[row] = 1
    this.missingCount++
    if (this.codes.length) this.codes[row] = -1
    else this.values[row] = Number.NaN
  }

  private code(s: string): number {
    let c = this.index.get(s)
    if (c === undefined) {
      c = this.dictionary.length
      this.dictionary.push(s)
      this.index.set(s, c)
    }
    return c
  }

  build(): Column {
    const base = { name: this.name, missing: this.missing, missingCount: this.missingCount }
    switch (this.target) {
      case 'int':
      case 'float':
        return { ...base, kind: 'number', dtype: this.target, values: this.values }
      case 'datetime':
        return { ...base, kind: 'datetime', dtype: 'datetime', values: this.values }
      case 'bool': {
        // Codes follow first appearance; re-map so the dictionary is always ['false', 'true'].
        const remap = this.dictionary.map((d) => (d === 'true' ? 1 : 0))
        const codes = sharedInt32(this.codes.length)
        this.codes.forEach((c, i) => {
          codes[i] = c < 0 ? -1 : remap[c]!
        })
        return { ...base, kind: 'category', dtype: 'bool', codes, dictionary: ['false', 'true'] }
      }
      case 'string':
        return { ...base, kind: 'category', dtype: 'string', codes: this.codes, dictionary: this.dictionary }
    }
  }
}

function text(v: unknown): string {
  if (typeof v === 'string') return v
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8')
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x))
}
