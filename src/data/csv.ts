import { createReadStream } from 'node:fs'
import { SluiceError } from '../core/errors.js'
import { ColumnBuilder } from './builder.js'
import type { Frame } from './frame.js'

export interface CsvOptions {
  delimiter?: string
}

/**
 * Streams an RFC 4180 CSV file into a frame: first row is the header, quoted fields may hold
 * delimiters, doubled quotes and newlines. Every row must have as many fields as the header; blank
 * lines are skipped. Errors name the file and line.
 */
export async function readCsv(file: string, options: CsvOptions = {}): Promise<Frame> {
  const delimiter = (options.delimiter ?? ',').charCodeAt(0)
  const parser = new CsvParser(file, delimiter)
  let carry = ''
  let first = true
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    let text = carry + (chunk as string)
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    first = false
    carry = text.slice(parser.feed(text, false))
  }
  parser.feed(carry, true)
  return parser.finish()
}

class CsvParser {
  private header: string[] | null = null
  private builders: ColumnBuilder[] = []
  private fields: string[] = []
  /** Line number (1-based) where the next record starts. */
  private line = 1
  private rows = 0

  constructor(
    private readonly file: string,
    private readonly delimiter: number,
  ) {}

  /** Parses every complete record in `text`; returns the offset of the first unparsed character. */
  feed(text: string, final: boolean): number {
    const n = text.length
    const delim = this.delimiter
    let p = 0
    while (p < n) {
      const start = p
      const fields = this.fields
      fields.length = 0
      let lines = 0
      let complete = false
      for (;;) {
        if (p < n && text.charCodeAt(p) === 34 /* " */) {
          let j = text.indexOf('"', p + 1)
          while (j !== -1 && text.charCodeAt(j + 1) === 34) j = text.indexOf('"', j + 2)
          if (j === -1) {
            if (!final) return start
            throw this.error(this.line + lines, 'a quoted field is never closed (missing ")')
          }
          const raw = text.slice(p + 1, j)
          for (let k = raw.indexOf('\n'); k !== -1; k = raw.indexOf('\n', k + 1)) lines++
          fields.push(raw.includes('""') ? raw.replaceAll('""', '"') : raw)
          p = j + 1
          if (p === n && !final) return start
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
          if (q === n && !final) return start
          fields.push(text.slice(p, q))
          p = q
        }
        if (p >= n) {
          complete = true
          break
        }
        const c = text.charCodeAt(p)
        if (c === delim) {
          p++
          continue
        }
        // End of record: \n, \r\n or \r.
        if (c === 13 && p + 1 === n && !final) return start
        p += c === 13 && text.charCodeAt(p + 1) === 10 ? 2 : 1
        lines++
        complete = true
        break
      }
      if (complete) this.record(lines)
    }
    return p
  }

  private record(lines: number): void {
    const fields = this.fields
    const line = this.line
    this.line += lines
    if (fields.length === 1 && fields[0] === '') return // blank line
    if (!this.header) {
      this.header = fields.map((name, i) => (name === '' ? `Unnamed: ${i}` : name))
      const seen = new Set<string>()
      for (const name of this.header) {
        if (seen.has(name))
          throw this.error(line, `column "${name}" appears twice in the header; column names must be unique`)
        seen.add(name)
      }
      this.builders = this.header.map((name) => new ColumnBuilder(name))
      return
    }
    if (fields.length !== this.builders.length) {
      throw this.error(
        line,
        `expected ${this.builders.length} fields (as in the header), found ${fields.length}; is the file truncated or the delimiter wrong?`,
      )
    }
    for (let i = 0; i < fields.length; i++) this.builders[i]!.addText(fields[i]!)
    this.rows++
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
