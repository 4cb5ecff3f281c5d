import { isAscii } from 'node:buffer'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'
import { SluiceError } from '../core/errors.js'
import { ColumnBuilder } from './builder.js'
import type { Frame } from './frame.js'

export interface CsvOptions {
  delimiter?: string
}

const CHUNK = 1 << 20

/**
 * Streams an RFC 4180 CSV file into a frame: first row is the header, quoted fields may hold
 * delimiters, doubled quotes and newlines. Every row must have as many fields as the header; blank
 * lines are skipped. Errors name the file and line.
 */
export async function readCsv(file: string, options: CsvOptions = {}): Promise<Frame> {
  const delimiter = (options.delimiter ?? ',').charCodeAt(0)
  const parser = new CsvParser(file, delimiter, (await stat(file)).size)
  const decoder = new StringDecoder('utf8')
  let carry = ''
  let first = true
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) {
    const bytes = chunk as Buffer
    // Pure-ASCII chunks (the usual case) decode as Latin-1: the same characters, much faster.
    const decoded = isAscii(bytes) && decoder.end() === '' ? bytes.toString('latin1') : decoder.write(bytes)
    let text = carry + decoded
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    first = false
    carry = text.slice(parser.feed(text, false))
  }
  parser.feed(carry + decoder.end(), true)
  return parser.finish()
}

class CsvParser {
  private header: string[] | null = null
  private builders: ColumnBuilder[] = []
  /** Field boundaries of the record being parsed: start, end pairs. */
  private bounds = new Int32Array(64)
  /** Unquoted field texts of a record that held quotes (the slow path). */
  private fields: string[] = []
  /** Line number (1-based) where the next record starts. */
  private line = 1
  private rows = 0

  constructor(
    private readonly file: string,
    private readonly delimiter: number,
    private readonly fileSize: number,
  ) {}

  /** Parses every complete record in `text`; returns the offset of the first unparsed character. */
  feed(text: string, final: boolean): number {
    const n = text.length
    let p = 0
    let nextQuote = text.indexOf('"')
    if (nextQuote === -1) nextQuote = n
    while (p < n) {
      let eol = text.indexOf('\n', p)
      if (eol === -1) {
        if (!final) return p
        eol = n
      }
      if (nextQuote < p) {
        nextQuote = text.indexOf('"', p)
        if (nextQuote === -1) nextQuote = n
      }
      if (nextQuote < eol) {
        // A quoted field: parse this record character by character (it may span lines).
        const end = this.quotedRecord(text, p, final)
        if (end === -1) return p
        p = end
        continue
      }
      this.plainRecord(text, p, eol > p && text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol)
      p = eol + 1
    }
    return n
  }

  /** A record without quotes: fields are found with indexOf and handed over as ranges. */
  private plainRecord(text: string, start: number, end: number): void {
    const line = this.line++
    if (start === end) return // blank line
    const delim = String.fromCharCode(this.delimiter)
    let count = 0
    let p = start
    for (;;) {
      let q = text.indexOf(delim, p)
      if (q === -1 || q > end) q = end
      if (count * 2 + 2 > this.bounds.length) {
        const bigger = new Int32Array(this.bounds.length * 2)
        bigger.set(this.bounds)
        this.bounds = bigger
      }
      this.bounds[count * 2] = p
      this.bounds[count * 2 + 1] = q
      count++
      if (q === end) break
      p = q + 1
    }
    if (!this.header) {
      const names: string[] = []
      for (let i = 0; i < count; i++) names.push(text.slice(this.bounds[i * 2]!, this.bounds[i * 2 + 1]!))
      this.setHeader(names, line, text)
      return
    }
    if (count !== this.builders.length) throw this.fieldCountError(line, count)
    const b = this.builders
    for (let i = 0; i < count; i++) b[i]!.addField(text, this.bounds[i * 2]!, this.bounds[i * 2 + 1]!)
    this.rows++
  }

  /**
   * A record with quotes, from `start`: returns the offset after its line end, or -1 if the text
   * ends inside it (more input is needed).
   */
  private quotedRecord(text: string, start: number, final: boolean): number {
    const n = text.length
    const delim = this.delimiter
    const fields = this.fields
    fields.length = 0
    let p = start
    let lines = 0
    for (;;) {
      if (p < n && text.charCodeAt(p) === 34) {
        let j = text.indexOf('"', p + 1)
        while (j !== -1 && text.charCodeAt(j + 1) === 34) j = text.indexOf('"', j + 2)
        if (j === -1) {
          if (!final) return -1
          throw this.error(this.line + lines, 'a quoted field is never closed (missing ")')
        }
        const raw = text.slice(p + 1, j)
        for (let k = raw.indexOf('\n'); k !== -1; k = raw.indexOf('\n', k + 1)) lines++
        fields.push(raw.includes('""') ? raw.replaceAll('""', '"') : raw)
        p = j + 1
        if (p === n && !final) return -1
        const c = text.charCodeAt(p)
        if (p < n && c !== delim && c !== 10 && c !== 13) {
          throw this.error(
            this.line + lines,
            `unexpected text after a closing quote: ${JSON.stringify(text.slice(p, p + 20))}`,
          )
        }
      } else {
        let q = p
        for (; q < n; q++) {
          const c = text.charCodeAt(q)
          if (c === delim || c === 10 || c === 13) break
        }
        if (q === n && !final) return -1
        fields.push(text.slice(p, q))
        p = q
      }
      if (p >= n) break
      const c = text.charCodeAt(p)
      if (c === delim) {
        p++
        continue
      }
      if (c === 13 && p + 1 === n && !final) return -1
      p += c === 13 && text.charCodeAt(p + 1) === 10 ? 2 : 1
      lines++
      break
    }
    const line = this.line
    this.line += Math.max(lines, 1)
    if (!this.header) this.setHeader([...fields], line, text)
    else {
      if (fields.length !== this.builders.length) throw this.fieldCountError(line, fields.length)
      for (let i = 0; i < fields.length; i++) this.builders[i]!.addText(fields[i]!)
      this.rows++
    }
    return p
  }

  private setHeader(names: string[], line: number, text: string): void {
    this.header = names.map((name, i) => (name === '' ? `Unnamed: ${i}` : name))
    const seen = new Set<string>()
    for (const name of this.header) {
      if (seen.has(name))
        throw this.error(line, `column "${name}" appears twice in the header; column names must be unique`)
      seen.add(name)
    }
    // Expected rows from the file size and the first chunk's lines: builders allocate about once.
    const sample = Math.min(text.length, 1 << 20)
    let lines = 0
    for (let i = text.indexOf('\n'); i !== -1 && i < sample; i = text.indexOf('\n', i + 1)) lines++
    const expected = Math.ceil((this.fileSize / Math.max(sample, 1)) * Math.max(lines, 1) * 1.05)
    this.builders = this.header.map((name) => new ColumnBuilder(name, Math.min(expected, 1 << 24)))
  }

  private fieldCountError(line: number, found: number): SluiceError {
    return this.error(
      line,
      `expected ${this.builders.length} fields (as in the header), found ${found}; is the file truncated or the delimiter wrong?`,
    )
  }

  finish(): Frame {
    if (!this.header)
      throw new SluiceError('UNREADABLE_FILE', `${this.file} is empty: there is no header row`)
    return { rows: this.rows, columns: this.builders.map((b) => b.build()) }
  }

  private error(line: number, problem: string): SluiceError {
    return new SluiceError('UNREADABLE_FILE', `${this.file}:${line}: ${problem}`)
  }
}
