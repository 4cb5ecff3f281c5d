/** A one-line progress bar on stderr, only on a terminal (never with --json). */
export function progressBar(
  label: string,
  enabled: boolean,
): { update(done: number, total: number): void; done(): void } {
  const tty = enabled && process.stderr.isTTY
  let last = -1
  return {
    update(done, total) {
      if (!tty) return
      const pct = Math.floor((100 * done) / Math.max(total, 1))
      if (pct === last) return
      last = pct
      const width = 30
      const filled = Math.round((width * done) / Math.max(total, 1))
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`)
    },
    done() {
      if (tty && last >= 0) process.stderr.write('\n')
    },
  }
}
