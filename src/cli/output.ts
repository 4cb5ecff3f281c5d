import { diskError } from '../core/disk-full.js'
import { SluiceError, toErrorDocument } from '../core/errors.js'

/** Everything the CLI prints goes through here, so `--json` and human output stay consistent. */
export interface Output {
  json: boolean
  /** A JSON document (with --json) or human text. */
  result(doc: unknown, human: () => string): void
  /** A progress note on a terminal; silent with --json or when stderr is not a TTY. */
  progress(message: string): void
}

export function makeOutput(json: boolean): Output {
  return {
    json,
    result(doc, human) {
      process.stdout.write(json ? `${JSON.stringify(doc, null, 2)}\n` : `${human().replace(/\n?$/, '\n')}`)
    },
    progress(message) {
      if (!json && process.stderr.isTTY) process.stderr.write(`${message}\n`)
    },
  }
}

/** Prints an error the way the user asked for output; returns the exit code (2: bad usage or input). */
export function reportError(caught: unknown, json: boolean): number {
  // A full disk surfaces from many writes; those that do not say where are still named for what they are.
  const e = diskError(caught)
  const doc = toErrorDocument(e)
  if (json) process.stdout.write(`${JSON.stringify({ schema: 'sluice.error/v1', ...doc }, null, 2)}\n`)
  else {
    process.stderr.write(`sluice: error: ${doc.error.message}\n`)
    if (!(e instanceof SluiceError) && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`)
  }
  return 2
}

/** A plain text table: columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

export function keyValues(pairs: [string, string][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length))
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}
