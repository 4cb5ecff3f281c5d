import { spawn } from 'node:child_process'
import type { Stage } from './spec.js'

export interface StageProcess {
  /** The stage's pid, which is also its process group's id; undefined when it could not start. */
  pid: number | undefined
  /** Exit code, or null when the process was killed by a signal. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; error: string | null }>
  /**
   * Stops the stage and everything it started (its whole process group): SIGTERM, then SIGKILL
   * after a grace period; with `now`, SIGKILL at once.
   */
  kill(o?: { now: boolean }): void
  /** What the stage printed, stdout and stderr interleaved (the last MAX_LOG bytes). */
  log(): Buffer
  /** The last non-empty line the stage printed on stderr, where tools say why they failed. */
  lastError(): string
}

const MAX_LOG = 8 << 20
const KILL_GRACE_MS = 3000

/**
 * Starts a stage in the project folder: a `cmd` through `sh -c`, a built-in as the sluice command
 * line it stands for. The stage leads its own process group, so stopping it also stops whatever it
 * started; every line it prints goes to `onLine` as it arrives.
 */
export function startStage(
  stage: Stage,
  o: {
    root: string
    /** How to run sluice itself (node and the CLI script), for built-in stages. */
    sluice: string[]
    env: NodeJS.ProcessEnv
    onLine(line: string, stream: 'stdout' | 'stderr'): void
  },
): StageProcess {
  const [file, ...args] = stage.builtin
    ? [...o.sluice, ...stage.builtin.args]
    : ['/bin/sh', '-c', stage.command]
  const child = spawn(file!, args, {
    cwd: o.root,
    env: o.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const chunks: Buffer[] = []
  let lastError = ''
  let size = 0
  const keep = (b: Buffer) => {
    chunks.push(b)
    size += b.length
    while (size - chunks[0]!.length > MAX_LOG) size -= chunks.shift()!.length
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = ''
    child[stream].on('data', (b: Buffer) => {
      keep(b)
      const lines = (partial + b.toString('utf8')).split('\n')
      partial = lines.pop()!
      for (const line of lines) {
        if (stream === 'stderr' && line.trim()) lastError = line.trim()
        o.onLine(line, stream)
      }
    })
    child[stream].on('end', () => {
      if (partial) o.onLine(partial, stream)
    })
  }
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error: string | null }>(
    (resolve) => {
      child.on('error', (e) => resolve({ code: null, signal: null, error: e.message }))
      child.on('close', (code, signal) => resolve({ code, signal, error: null }))
    },
  )
  let killTimer: NodeJS.Timeout | undefined
  done.finally(() => clearTimeout(killTimer))
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, sig)
    } catch {
      // already gone
    }
  }
  return {
    pid: child.pid,
    done,
    kill(o = { now: false }) {
      if (o.now) {
        signal('SIGKILL')
        return
      }
      signal('SIGTERM')
      killTimer = setTimeout(() => signal('SIGKILL'), KILL_GRACE_MS)
      killTimer.unref()
    },
    log: () => Buffer.concat(chunks),
    lastError: () => lastError,
  }
}
