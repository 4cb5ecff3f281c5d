import { type Clock, isoNow, systemClock } from '../core/clock.js'
import { processRuns } from '../core/processes.js'
import type { PipelineStore, RunRecord } from '../store/types.js'

/**
 * Runs as they stand: a run recorded as `running` whose process no longer runs (its pid is gone,
 * or belongs to a process started at another time) died without recording its end. It is stored
 * and returned as `crashed`. No timeout is involved: a run is judged by its process alone, each
 * time it is read; a run of another host is left as recorded.
 */
export async function settleRuns(
  store: PipelineStore,
  runs: RunRecord[],
  clock: Clock = systemClock,
): Promise<RunRecord[]> {
  const out: RunRecord[] = []
  for (const run of runs) {
    if (run.status !== 'running' || !run.holder || processRuns(run.holder) !== false) {
      out.push(run)
      continue
    }
    const crashed = crashedRun(run, isoNow(clock))
    await store.saveRun(crashed)
    out.push(crashed)
  }
  return out
}

/** Marks every run of the store whose process died as crashed. */
export async function settleRunningRuns(store: PipelineStore, clock?: Clock): Promise<void> {
  await settleRuns(store, await store.runningRuns(), clock)
}

/** The record of a run whose process died: stages it was running failed, those it had not started skipped. */
export function crashedRun(run: RunRecord, at: string): RunRecord {
  const who = `pid ${run.holder?.pid} on ${run.holder?.host}`
  return {
    ...run,
    status: 'crashed',
    error: `the sluice process running it (${who}) ended without finishing it (killed, or the machine stopped); found at ${at}`,
    stages: run.stages.map((s) =>
      s.status === 'running'
        ? { ...s, status: 'failed', error: 'the run crashed while this stage ran; nothing of it was cached' }
        : s.status === 'pending'
          ? { ...s, status: 'skipped', error: 'the run crashed before this stage started' }
          : s,
    ),
  }
}
