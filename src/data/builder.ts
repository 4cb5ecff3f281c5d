import type { Column } from './frame.js'
import { MISSING_TOKENS, parseBoolean, parseDatetime, parseNumber } from './values.js'

type Kind = 'empty' | 'int' | 'float' | 'bool' | 'datetime' | 'string'

/**
 * Accumulates one column's cells and settles its type as it goes: a column stays int, float, bool
 * or datetime while every non-missing cell reads as one, and falls back to string at the first cell
 * that does not (earlier cells are then kept as their canonical text, e.g. "1.50" becomes "1.5").
 * Int widens to float. Typed sources (JSONL, Parquet) call the typed adders directly.
 */
export class ColumnBuilder {
  private kind: Kind = 'empty'
  private values = new Float64Array(1024)
  private codes: Int32Array | null = null
  private dictionary: string[] = []
  private index = new Map<string, number>()
  private missing = new Uint8Array(1024)
  private missingCount = 0
  length = 0

  constructor(readonly name: string) {}

  /** Adds a cell given as text (CSV); missing-value tokens count as missing. */
  addText(text: string): void {
    if (MISSING_TOKENS.has(text)) this.addMissing()
    else if (this.kind === 'string') this.addString(text)
    else if (this.kind === 'bool') this.addTyped(text, parseBoolean(text), (b) => this.addBoolean(b))
    else if (this.kind === 'datetime') this.addTyped(text, parseDatetime(text), (t) => this.addDatetime(t))
    else {
      const n = parseNumber(text)
      if (n) this.addNumber(n.value, n.integer)
      else if (this.kind !== 'empty') this.addString(text)
      else this.addFirstText(text)
    }
  }

  private addTyped<T>(text: string, parsed: T | null, add: (v: T) => void): void {
    if (parsed === null) this.addString(text)
    else add(parsed)
  }

  /** The first non-missing cell that is not a number: a boolean, a datetime or a string. */
  private addFirstText(text: string): void {
    const b = parseBoolean(text)
    if (b !== null) {
      this.addBoolean(b)
      return
    }
    this.addTyped(text, parseDatetime(text), (t) => this.addDatetime(t))
  }

  addMissing(): void {
    this.grow()
    this.missing[this.length] = 1
    this.missingCount++
    if (this.codes) this.codes[this.length] = -1
    else this.values[this.length] = Number.NaN
    this.length++
  }

  addNumber(value: number, integer: boolean): void {
    if (this.kind === 'empty' || this.kind === 'int') this.kind = integer ? 'int' : 'float'
    if (this.kind === 'int' || this.kind === 'float') this.pushValue(value)
    else this.addString(canonicalNumber(value))
  }

  addBoolean(value: boolean): void {
    if (this.kind === 'empty') this.kind = 'bool'
    if (this.kind === 'bool') this.pushValue(value ? 1 : 0)
    else this.addString(String(value))
  }

  addDatetime(ms: number): void {
    if (this.kind === 'empty') this.kind = 'datetime'
    if (this.kind === 'datetime') this.pushValue(ms)
    else this.addString(new Date(ms).toISOString())
  }

  /** A JSON string: a datetime while the column holds datetimes, otherwise a string. */
  addStringOrDatetime(value: string): void {
    const t = this.kind === 'empty' || this.kind === 'datetime' ? parseDatetime(value) : null
    if (t === null) this.addString(value)
    else this.addDatetime(t)
  }

  addString(value: string): void {
    if (this.kind !== 'string') this.toStrings()
    this.grow()
    let code = this.index.get(value)
    if (code === undefined) {
      code = this.dictionary.length
      this.dictionary.push(value)
      this.index.set(value, code)
    }
    this.codes![this.length++] = code
  }

  private pushValue(v: number): void {
    this.grow()
    this.values[this.length++] = v
  }

  private grow(): void {
    if (this.length < this.missing.length) return
    const cap = this.missing.length * 2
    const missing = new Uint8Array(cap)
    missing.set(this.missing)
    this.missing = missing
    if (this.codes) {
      const codes = new Int32Array(cap)
      codes.set(this.codes)
      this.codes = codes
    } else {
      const values = new Float64Array(cap)
      values.set(this.values)
      this.values = values
    }
  }

  /** Re-encodes the cells so far as text, once, when the column turns out to hold strings. */
  private toStrings(): void {
    const was = this.kind
    this.kind = 'string'
    const codes = new Int32Array(this.missing.length)
    const values = this.values
    this.codes = codes
    this.values = new Float64Array(0)
    for (let i = 0; i < this.length; i++) {
      if (this.missing[i]) {
        codes[i] = -1
        continue
      }
      const v = values[i]!
      const text =
        was === 'bool' ? String(v === 1) : was === 'datetime' ? new Date(v).toISOString() : canonicalNumber(v)
      let code = this.index.get(text)
      if (code === undefined) {
        code = this.dictionary.length
        this.dictionary.push(text)
        this.index.set(text, code)
      }
      codes[i] = code
    }
  }

  build(): Column {
    const n = this.length
    const missing = this.missing.slice(0, n)
    const base = { name: this.name, missing, missingCount: this.missingCount }
    switch (this.kind) {
      case 'empty':
      case 'int':
      case 'float':
        return {
          ...base,
          kind: 'number',
          dtype: this.kind === 'int' ? 'int' : 'float',
          values: this.values.slice(0, n),
        }
      case 'datetime':
        return { ...base, kind: 'datetime', dtype: 'datetime', values: this.values.slice(0, n) }
      case 'bool': {
        const codes = new Int32Array(n)
        for (let i = 0; i < n; i++) codes[i] = missing[i] ? -1 : this.values[i]!
        return { ...base, kind: 'category', dtype: 'bool', codes, dictionary: ['false', 'true'] }
      }
      case 'string':
        return {
          ...base,
          kind: 'category',
          dtype: 'string',
          codes: this.codes!.slice(0, n),
          dictionary: this.dictionary,
        }
    }
  }
}

function canonicalNumber(v: number): string {
  return Number.isNaN(v) ? 'NaN' : String(v)
}
