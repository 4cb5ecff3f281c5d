/**
 * A live view on a terminal: lines scroll above one status line that is redrawn in place.
 * Off a terminal (CI logs, pipes) lines are written plainly and the status line never appears.
 */
export class LiveView {
  private footer = ''
  private readonly tty: boolean

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY)
  }

  line(text: string): void {
    this.stream.write(this.tty ? `\r\x1b[K${text}\n${this.footer}` : `${text}\n`)
  }

  status(text: string): void {
    if (!this.tty) return
    this.footer = text.slice(0, Math.max(10, (this.stream.columns ?? 100) - 1))
    this.stream.write(`\r\x1b[K${this.footer}`)
  }

  close(): void {
    if (this.tty && this.footer) this.stream.write('\r\x1b[K')
    this.footer = ''
  }
}
