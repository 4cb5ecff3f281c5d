import { type Column, sharedFloat64, sharedInt32, sharedUint8 } from './frame.js'
import { Interner } from './interner.js'
import {
  MISSING_TOKENS,
  parseBoolean,
  parseDatetime,
  parseDatetimeAt,
  parsed,
  parseNumberAt,
} from './values.js'

type Kind = 'empty' | 'int' | 'float' | 'bool' | 'datetime' | 'string'

/**
 * Accumulates one column's cells and settles its type as it goes: a column stays int, float, bool
 * or datetime while every non-missing cell reads as one, and falls back to string at the first cell
 * that does not (earlier cells are then kept as their canonical text, e.g. "1.50" becomes "1.5").
 * Int widens to float. Typed sources (JSONL, Parquet) call the typed adders directly.
 */
export class ColumnBuilder {
  private kind: Kind = 'empty'
  private values: Float64Array
  private codes: Int32Array | null = null
  private dictionary: string[] = []
  /** Every distinct text seen in a string column; `dictionaryCode[k]` is its code, or -1 for a missing-value token. */
  private readonly interner = new Interner()
  private dictionaryCode: number[] = []
  private missing: Uint8Array
  private missingCount = 0
  length = 0

  /** `capacity`: expected number of rows (a hint; the builder grows past it). */
  constructor(
    readonly name: string,
    capacity = 1024,
  ) {
    this.values = sharedFloat64(Math.max(16, capacity))
    this.missing = sharedUint8(Math.max(16, capacity))
  }

  /**
   * Adds the cell text[start, end) — the CSV hot path: numbers are read in place, and only cells
   * that are not numbers become strings.
   */
  addField(text: string, start: number, end: number): void {
    if (
      (this.kind === 'int' || this.kind === 'float' || this.kind === 'empty') &&
      start < end &&
      parseNumberAt(text, start, end)
    ) {
      const n = this.length
      if (n === this.missing.length) this.grow()
      this.values[n] = parsed.value
      this.length = n + 1
      if (!parsed.integer) this.kind = 'float'
      else if (this.kind === 'empty') this.kind = 'int'
      return
    }
    if (this.kind === 'datetime' && start < end) {
      const t = parseDatetimeAt(text, start, end)
      if (t !== null) {
        this.pushValue(t)
        return
      }
    }
    if (this.kind === 'string') {
      if (start === end) this.addMissing()
      else this.pushCode(this.codeOf(this.interner.internRange(text, start, end)))
      return
    }
    this.addText(start === end ? '' : text.slice(start, end))
  }

  /** Adds a cell given as text (CSV); missing-value tokens count as missing. */
  addText(text: string): void {
    if (MISSING_TOKENS.has(text)) this.addMissing()
    else if (this.kind === 'string') this.addString(text)
    else if (this.kind === 'bool') this.addTyped(text, parseBoolean(text), (b) => this.addBoolean(b))
    else if (this.kind === 'datetime') this.addTyped(text, parseDatetime(text), (t) => this.addDatetime(t))
    else if (parseNumberAt(text, 0, text.length)) this.addNumber(parsed.value, parsed.integer)
    else if (this.kind !== 'empty') this.addString(text)
    else this.addFirstText(text)
  }

  private addTyped<T>(text: string, value: T | null, add: (v: T) => void): void {
    if (value === null) this.addString(text)
    else add(value)
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
    if (this.length === this.missing.length) this.grow()
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
    this.pushCode(this.codeOf(this.interner.intern(value)))
  }

  /** Dictionary code of an interned text; -1 when the text is a missing-value token. */
  private codeOf(key: number): number {
    let code = this.dictionaryCode[key]
    if (code === undefined) {
      const value = this.interner.values[key]!
      code = MISSING_TOKENS.has(value) ? -1 : this.dictionary.push(value) - 1
      this.dictionaryCode[key] = code
    }
    return code
  }

  private pushCode(code: number): void {
    if (code === -1) {
      this.addMissing()
      return
    }
    if (this.length === this.missing.length) this.grow()
    this.codes![this.length++] = code
  }

  private pushValue(v: number): void {
    if (this.length === this.missing.length) this.grow()
    this.values[this.length++] = v
  }

  private grow(): void {
    const cap = this.missing.length * 2
    const missing = sharedUint8(cap)
    missing.set(this.missing)
    this.missing = missing
    if (this.codes) {
      const codes = sharedInt32(cap)
      codes.set(this.codes)
      this.codes = codes
    } else {
      const values = sharedFloat64(cap)
      values.set(this.values)
      this.values = values
    }
  }

  /** Re-encodes the cells so far as text, once, when the column turns out to hold strings. */
  private toStrings(): void {
    const was = this.kind
    this.kind = 'string'
    const codes = sharedInt32(this.missing.length)
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
      codes[i] = this.codeOf(this.interner.intern(text))
    }
  }

  build(): Column {
    const n = this.length
    const missing = trimTo(this.missing, n)
    const base = { name: this.name, missing, missingCount: this.missingCount }
    switch (this.kind) {
      case 'empty':
      case 'int':
      case 'float':
        return {
          ...base,
          kind: 'number',
          dtype: this.kind === 'int' ? 'int' : 'float',
          values: trimTo(this.values, n),
        }
      case 'datetime':
        return { ...base, kind: 'datetime', dtype: 'datetime', values: trimTo(this.values, n) }
      case 'bool': {
        const codes = sharedInt32(n)
        for (let i = 0; i < n; i++) codes[i] = missing[i] ? -1 : this.values[i]!
        return { ...base, kind: 'category', dtype: 'bool', codes, dictionary: ['false', 'true'] }
      }
      case 'string':
        return {
          ...base,
          kind: 'category',
          dtype: 'string',
          codes: trimTo(this.codes!, n),
          dictionary: this.dictionary,
        }
    }
  }
}

/** The first n entries: a view when little would be wasted, else a compact shared copy. */
function trimTo<T extends Float64Array | Int32Array | Uint8Array>(a: T, n: number): T {
  if (n >= a.length * 0.9) return a.subarray(0, n) as T
  const copy = new (a.constructor as new (b: SharedArrayBuffer) => T)(
    new SharedArrayBuffer(n * a.BYTES_PER_ELEMENT),
  )
  copy.set(a.subarray(0, n))
  return copy
}

function canonicalNumber(v: number): string {
  return Number.isNaN(v) ? 'NaN' : String(v)
}
