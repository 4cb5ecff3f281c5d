import { createWriteStream, type WriteStream } from 'node:fs'

/**
 * Structured log lines (one JSON object per line) on stderr, written asynchronously: lines are
 * gathered during one turn of the event loop and written together, so a busy server does not stop
 * for a synchronous write per request (stderr to a file or pipe is synchronous in Node).
 */
export function jsonLogger(): (entry: Record<string, unknown>) => void {
  let stream: WriteStream | null = null
  let pending: string[] = []
  const flush = () => {
    stream ??= createWriteStream('', { fd: 2, autoClose: false })
    stream.write(pending.join(''))
    pending = []
  }
  process.once('exit', () => {
    // At exit only synchronous writes happen.
    if (pending.length) process.stderr.write(pending.join(''))
    pending = []
  })
  return (entry) => {
    if (pending.length === 0) setImmediate(flush)
    pending.push(`${JSON.stringify(entry)}\n`)
  }
}
