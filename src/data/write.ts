import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import path from 'node:path'
import { writeAtomically } from '../core/atomic.js'
import { SluiceError } from '../core/errors.js'
import type { DatasetFormat } from '../core/types.js'
import type { Column, Frame } from './frame.js'

const WRITE_EXTENSIONS: Record<string, DatasetFormat> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
  '.pq': 'parquet',
}

export function formatForOutput(file: string): DatasetFormat {
  const format = WRITE_EXTENSIONS[path.extname(file).toLowerCase()]
  if (!format) {
    throw new SluiceError(
      'UNSUPPORTED_FORMAT',
      `cannot tell the format of ${file} from its extension; end it with .csv, .tsv, .jsonl, .ndjson or .parquet`,
    )
  }
  return format
}

/**
 * Writes a frame as CSV/TSV, JSON Lines or Parquet (by extension), atomically. Missing cells are
 * empty in CSV and null in JSON Lines and Parquet; datetimes are ISO-8601 UTC text (CSV, JSONL) or
 * millisecond timestamps (Parquet). Non-finite numbers are written as missing in JSON Lines.
 */
export async function writeFrame(frame: Frame, file: string): Promise<void> {
  const format = formatForOutput(file)
  await writeAtomically(file, async (tmp) => {
    if (format === 'parquet') await writeParquet(frame, tmp)
    else await writeText(frame, tmp, format, path.extname(file).toLowerCase() === '.tsv' ? '\t' : ',')
  })
}

const ROWS_PER_CHUNK = 8192

async function writeText(
  frame: Frame,
  file: string,
  format: 'csv' | 'jsonl',
  delimiter: string,
): Promise<void> {
  const out = createWriteStream(file, { flags: 'wx' })
  const failed = new Promise<never>((_, reject) => out.once('error', reject))
  const write = async (text: string) => {
    if (!out.write(text)) await Promise.race([once(out, 'drain'), failed])
  }
  const cols = frame.columns
  if (format === 'csv') await write(`${cols.map((c) => csvField(c.name, delimiter)).join(delimiter)}\n`)
  for (let start = 0; start < frame.rows; start += ROWS_PER_CHUNK) {
    const end = Math.min(frame.rows, start + ROWS_PER_CHUNK)
    let chunk = ''
    for (let r = start; r < end; r++) {
      if (format === 'csv') chunk += `${cols.map((c) => csvCell(c, r, delimiter)).join(delimiter)}\n`
      else chunk += `${JSON.stringify(Object.fromEntries(cols.map((c) => [c.name, jsonCell(c, r)])))}\n`
    }
    await write(chunk)
  }
  out.end()
  await Promise.race([once(out, 'close'), failed])
}

function csvCell(c: Column, r: number, delimiter: string): string {
  if (c.missing[r]) return ''
  switch (c.kind) {
    case 'number':
      return String(c.values[r])
    case 'datetime':
      return new Date(c.values[r]!).toISOString()
    case 'category':
      return csvField(c.dictionary[c.codes[r]!]!, delimiter)
  }
}

function csvField(s: string, delimiter: string): string {
  return s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r')
    ? `"${s.replaceAll('"', '""')}"`
    : s
}

function jsonCell(c: Column, r: number): number | string | boolean | null {
  if (c.missing[r]) return null
  switch (c.kind) {
    case 'number':
      return Number.isFinite(c.values[r]!) ? c.values[r]! : null
    case 'datetime':
      return new Date(c.values[r]!).toISOString()
    case 'category': {
      const v = c.dictionary[c.codes[r]!]!
      return c.dtype === 'bool' ? v === 'true' : v
    }
  }
}

async function writeParquet(frame: Frame, file: string): Promise<void> {
  const { parquetWriteFile } = await import('hyparquet-writer')
  const columnData = frame.columns.map((c) => {
    const values = Array.from({ length: frame.rows }, (_, r) => parquetCell(c, r))
    if (c.kind === 'number' && c.dtype === 'int') {
      const int32 = values.every((v) => v === null || Math.abs(v as number) < 2 ** 31)
      return int32
        ? { name: c.name, data: values, type: 'INT32' as const }
        : {
            name: c.name,
            data: values.map((v) => (v === null ? null : BigInt(v as number))),
            type: 'INT64' as const,
          }
    }
    const type =
      c.kind === 'number'
        ? 'DOUBLE'
        : c.kind === 'datetime'
          ? 'TIMESTAMP'
          : c.dtype === 'bool'
            ? 'BOOLEAN'
            : 'STRING'
    return { name: c.name, data: values, type: type as 'DOUBLE' | 'TIMESTAMP' | 'BOOLEAN' | 'STRING' }
  })
  parquetWriteFile({ filename: file, columnData })
}

function parquetCell(c: Column, r: number): number | string | boolean | Date | null {
  if (c.missing[r]) return null
  switch (c.kind) {
    case 'number':
      return c.values[r]!
    case 'datetime':
      return new Date(c.values[r]!)
    case 'category': {
      const v = c.dictionary[c.codes[r]!]!
      return c.dtype === 'bool' ? v === 'true' : v
    }
  }
}
