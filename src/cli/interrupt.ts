/** What stops a pipeline when the user interrupts it. */
export interface Interrupt {
  /** Aborted at the first Ctrl-C (or SIGTERM/SIGHUP): running stages get SIGTERM, nothing is cached. */
  signal: AbortSignal
  /** Aborted at the second: running stages are killed at once (SIGKILL); the run is still recorded. */
  kill: AbortSignal
  dispose(): void
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * Turns Ctrl-C, SIGTERM and SIGHUP (the terminal closed) into an orderly stop: the first asks the
 * running stages to end, the second kills them, and only a third quits without recording the run.
 */
export function onInterrupt(say: (line: string) => void): Interrupt {
  const graceful = new AbortController()
  const hard = new AbortController()
  const handler = () => {
    if (!graceful.signal.aborted) {
      say('interrupting: stopping running stages (again to kill them at once)…')
      graceful.abort()
    } else if (!hard.signal.aborted) {
      say('killing running stages (again to quit without recording the run)…')
      hard.abort()
    } else process.exit(130)
  }
  for (const s of SIGNALS) process.on(s, handler)
  return {
    signal: graceful.signal,
    kill: hard.signal,
    dispose: () => {
      for (const s of SIGNALS) process.off(s, handler)
    },
  }
}
