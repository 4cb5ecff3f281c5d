import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Clock, isoNow, systemClock } from '../core/clock.js'
import { SluiceError } from '../core/errors.js'
import { tryLockFile } from '../core/file-lock.js'
import { groupMembers, type ProcessId, processRuns, processStart, thisProcess } from '../core/processes.js'

/** The kernel lock: an empty SQLite database in the home, locked by the run that holds it. */
export const LOCK_FILE = 'run.lock'
/** Who holds the lock, written by the holder once it has it and removed before it lets go. */
export const HOLDER_FILE = 'run.lock.json'

/** A stage's process group (led by the stage's own process), to stop it should its run die. */
export interface StageGroup {
  stage: string
  pgid: number
  /** The leader's start time, so a later process given the same pid is never taken for it. */
  start: string | null
}

export interface LockHolder extends ProcessId {
  /** When the lock was taken (ISO). */
  started_at: string
  /** `run` or `reproduce`. */
  command: string
  run_id: string | null
  stages: StageGroup[]
}

export interface RunLock {
  holder: LockHolder
  /** The holder before this one, which died holding the lock: its stages have been stopped. */
  crashed: LockHolder | null
  setRun(id: string): void
  stageStarted(stage: string, pid: number): void
  stageEnded(stage: string): void
  /** Removes the holder file, then lets go of the lock. */
  release(): void
}

const FIRST_POLL_MS = 100
const MAX_POLL_MS = 2000

/**
 * One pipeline run at a time per home. The lock is the kernel's (see core/file-lock.ts), so it
 * is free again the moment its holder dies, however it dies. A holder file beside it names the
 * holder — pid, process start time, host, start time — for the message of whoever finds it taken,
 * and the process groups of its running stages: taking the lock over from a holder that died,
 * those are killed first, so a stage of the dead run cannot write an out the new run reads.
 *
 * With `wait`, polls with back-off until the lock is free (`onWait` hears who holds it, once);
 * without, throws CONFLICT naming the holder. Returns null when `signal` aborts the wait.
 */
export async function acquireRunLock(
  home: string,
  o: {
    command: string
    wait: boolean
    signal?: AbortSignal
    onWait?: (holder: LockHolder | null) => void
    /** The run this process is a stage of (SLUICE_RUN_ID), if any: it can never wait for that run. */
    insideRun?: string | undefined
    clock?: Clock
  },
): Promise<RunLock | null> {
  mkdirSync(home, { recursive: true })
  const lockFile = path.join(home, LOCK_FILE)
  const holderFile = path.join(home, HOLDER_FILE)
  let told = false
  for (let delay = FIRST_POLL_MS; ; delay = Math.min(MAX_POLL_MS, Math.round(delay * 1.5))) {
    const lock = tryLockFile(lockFile)
    const previous = readHolder(holderFile)
    // A holder file naming a live process other than this one means that process still runs a
    // pipeline here (its lock file was replaced under it, say): it is not free, whatever the kernel says.
    if (lock && !(previous && processRuns(previous) === true)) {
      if (previous) await stopStages(previous)
      try {
        return holding(lock, holderFile, previous, o.command, o.clock ?? systemClock)
      } catch (e) {
        lock.release()
        throw e
      }
    }
    lock?.release()
    const holder = await currentHolder(holderFile)
    if (holder?.run_id && holder.run_id === o.insideRun)
      throw new SluiceError(
        'CONFLICT',
        `this sluice ${o.command} is a stage of run ${holder.run_id}, which holds the project until it ends: a stage cannot run or reproduce the pipeline it belongs to (it would wait for itself); run the command outside the pipeline`,
      )
    if (!o.wait) throw heldBy(holder, lockFile)
    if (!told) o.onWait?.(holder)
    told = true
    try {
      await sleep(delay, undefined, o.signal ? { signal: o.signal } : {})
    } catch {
      return null
    }
  }
}

function holding(
  lock: { release(): void },
  holderFile: string,
  crashed: LockHolder | null,
  command: string,
  clock: Clock,
): RunLock {
  const holder: LockHolder = {
    ...thisProcess(),
    started_at: isoNow(clock),
    command,
    run_id: null,
    stages: [],
  }
  // Written at once, before the stage can print a line: should this process be killed the moment
  // after, whoever takes over knows which process groups to stop. No fsync: the file matters when
  // a process dies, not when the machine does (its processes die with it).
  const write = () => {
    const tmp = `${holderFile}.${process.pid}.tmp`
    writeFileSync(tmp, `${JSON.stringify(holder, null, 2)}\n`)
    renameSync(tmp, holderFile)
  }
  write()
  return {
    holder,
    crashed,
    setRun(id) {
      holder.run_id = id
      write()
    },
    stageStarted(stage, pid) {
      holder.stages.push({ stage, pgid: pid, start: processStart(pid) })
      write()
    },
    stageEnded(stage) {
      holder.stages = holder.stages.filter((g) => g.stage !== stage)
      write()
    },
    release() {
      rmSync(holderFile, { force: true })
      lock.release()
    },
  }
}

/**
 * Kills what is left of a dead holder's stages (SIGKILL to each process group), and waits until
 * they are gone. A group whose leader's pid now belongs to a process started at another time has
 * ended (Linux never reuses a pid while a group of that number lives): it is left alone.
 */
async function stopStages(dead: LockHolder): Promise<void> {
  if (processRuns(dead) === null) return // another host's processes are out of reach
  const groups = dead.stages.filter((g) => {
    const leader = processStart(g.pgid)
    return leader === null || g.start === null || leader === g.start
  })
  for (const g of groups) {
    try {
      process.kill(-g.pgid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 100 && groups.some((g) => groupMembers(g.pgid).length > 0); i++) await sleep(50)
}

function readHolder(file: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as LockHolder
    return typeof h?.pid === 'number' && Array.isArray(h.stages) ? h : null
  } catch {
    return null
  }
}

/**
 * The holder named by the holder file, if it is alive. A process that has just taken the lock
 * writes it a moment later (and replaces a dead holder's), so a missing or dead one is read again
 * for up to a second.
 */
async function currentHolder(file: string): Promise<LockHolder | null> {
  for (let i = 0; i < 20; i++) {
    const h = readHolder(file)
    if (h && processRuns(h) !== false) return h
    await sleep(50)
  }
  return null
}

export function describeHolder(h: LockHolder): string {
  return `sluice ${h.command} (pid ${h.pid}${h.host ? ` on ${h.host}` : ''}, started ${h.started_at}${h.run_id ? `, run ${h.run_id}` : ''})`
}

function heldBy(h: LockHolder | null, lockFile: string): SluiceError {
  return new SluiceError(
    'CONFLICT',
    h
      ? `another pipeline run holds this project: ${describeHolder(h)}; wait for it (run again without --no-wait) or stop it (kill ${h.pid})`
      : `another sluice process holds the run lock ${lockFile}; run again without --no-wait to wait for it`,
    h ? { details: { pid: h.pid, host: h.host, started_at: h.started_at, run_id: h.run_id } } : undefined,
  )
}
