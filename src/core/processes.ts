import { readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'

/**
 * A process, told apart from a later one that got the same pid: its start time (Linux: field 22 of
 * /proc/PID/stat, in clock ticks since boot; null where there is no /proc) and its host.
 */
export interface ProcessId {
  pid: number
  start: string | null
  host: string
}

export const thisProcess = (): ProcessId => ({
  pid: process.pid,
  start: processStart(process.pid),
  host: os.hostname(),
})

/**
 * True while the process runs; false once it has ended (a zombie has ended) or its pid belongs to
 * a process started at another time; null when it ran on another host, where it cannot be seen.
 */
export function processRuns(p: ProcessId): boolean | null {
  if (p.host !== os.hostname()) return null
  const stat = procStat(p.pid)
  if (stat === undefined) return signalable(p.pid) // no /proc: the pid alone must do
  if (stat === null || stat.state === 'Z') return false
  return p.start === null || stat.start === p.start
}

/** The start time of a running process (clock ticks since boot), or null. */
export function processStart(pid: number): string | null {
  const stat = procStat(pid)
  return stat && stat.state !== 'Z' ? stat.start : null
}

/**
 * The live processes of a process group (zombies left out: an orphan's parent may never reap
 * it). Without /proc: the group leader's pid when the group can still be signalled.
 */
export function groupMembers(pgid: number): number[] {
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return signalable(-pgid) ? [pgid] : []
  }
  return pids.map(Number).filter((pid) => {
    const s = procStat(pid)
    return s && s.pgid === pgid && s.state !== 'Z'
  })
}

interface Stat {
  state: string
  pgid: number
  start: string
}

/** Fields of /proc/PID/stat; null when the process does not exist, undefined when there is no /proc. */
function procStat(pid: number): Stat | null | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return null
    return hasProc() ? null : undefined
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state); field N is fields[N - 3].
  return { state: fields[0]!, pgid: Number(fields[2]), start: fields[19]! }
}

let procMounted: boolean | undefined
const hasProc = () => {
  if (procMounted === undefined) {
    try {
      readFileSync('/proc/self/stat')
      procMounted = true
    } catch {
      procMounted = false
    }
  }
  return procMounted
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
