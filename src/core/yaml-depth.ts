import { Lexer } from 'yaml'

/**
 * The yaml library's parser and composer recurse once per nested collection. Past a few hundred
 * levels they overflow the stack, and V8 does not always turn that into a catchable RangeError:
 * when the overflow happens while it compiles a regular expression the whole process aborts
 * ("FATAL ERROR: RegExpCompiler Allocation failed"), which a 3 KB strategy file sent twice to
 * `sluice server` did. So a text's depth is bounded from its tokens first: the lexer does not
 * recurse.
 */

/** The bound past which a text is refused unparsed; well under what the parser survives (~700). */
export const MAX_LEXICAL_DEPTH = 256

/**
 * The 1-based line at which `text` may nest deeper than MAX_LEXICAL_DEPTH, or null. The bound is
 * never below the real depth: an open block collection sits at the column of a line's indentation
 * or of the content after a `-` or `?` on it (a map's `:` follows a key at one of those), kept
 * until a line is indented less, and at most two share a column (a sequence may sit at its map's
 * column); a flow `[` or `{` opens one level, and a pair inside it (`[a: b]`) one more.
 */
export function lineTooDeep(text: string): number | null {
  let line = 1
  let column = 0
  let lineStart = true
  let flow = 0
  let afterIndicator = false
  const columns: number[] = [] // where the block collections that may still be open sit
  for (const lexeme of new Lexer().lex(text)) {
    if (lineStart) {
      const indent = /^[ \t]+$/.test(lexeme) ? lexeme.length : 0
      while (columns.length > 0 && columns[columns.length - 1]! > indent) columns.pop()
      open(columns, indent)
      lineStart = false
    }
    if (afterIndicator && !/^[ \t]+$/.test(lexeme) && width(lexeme) > 0) {
      open(columns, column)
      afterIndicator = false
    }
    if (lexeme === '[' || lexeme === '{') flow++
    else if (lexeme === ']' || lexeme === '}') flow = Math.max(0, flow - 1)
    else if (lexeme === '-' || lexeme === '?') afterIndicator = true
    if (2 * columns.length + 2 * flow > MAX_LEXICAL_DEPTH) return line
    const breaks = lexeme.split('\n').length - 1
    line += breaks
    // The lexer marks where scalars and documents start with one control character of no width.
    column = breaks > 0 ? lexeme.length - lexeme.lastIndexOf('\n') - 1 : column + width(lexeme)
    // A line break inside a quoted scalar continues the line: what it opened stays counted.
    if (lexeme.endsWith('\n')) {
      lineStart = true
      afterIndicator = false
    }
  }
  return null
}

/** Columns are kept increasing: each counts for the two collections that may share it. */
function open(columns: number[], column: number): void {
  if (columns.length === 0 || columns[columns.length - 1]! < column) columns.push(column)
}

const width = (lexeme: string): number =>
  lexeme.length === 1 && lexeme < ' ' && lexeme !== '\t' ? 0 : lexeme.length
