import { existsSync } from 'node:fs'
import path from 'node:path'
import type { ArtifactStore } from '../artifacts/types.js'
import { type Clock, isoNow, systemClock } from '../core/clock.js'
import { codeRevisionAsync, environmentFingerprint } from '../core/environment.js'
import { SluiceError } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { thisProcess } from '../core/processes.js'
import type { ArtifactRef } from '../core/types.js'
import { SLUICE_VERSION } from '../core/version.js'
import type { RunRecord, StageRecord, Store } from '../store/types.js'
import { resolveBaseline, THE_CANDIDATE } from './baseline.js'
import { buildDag, missingDeps, selectStages } from './dag.js'
import { FileHasher } from './hasher.js'
import { keyMaterial, pythonVersion, stageKey, usesPython } from './key.js'
import { OutStore } from './outs.js'
import { startStage } from './process.js'
import { type Pipeline, paramValue, type Stage } from './spec.js'
import { checkUnownedDeps } from './unowned.js'

export interface RunOptions {
  pipeline: Pipeline
  /** Stages to bring up to date (with everything upstream); empty: all. */
  targets?: string[]
  /** Run every selected stage even when its result is cached. */
  force?: boolean
  /** Stages run at once, at most. */
  jobs?: number
  store: Store
  artifacts: ArtifactStore
  /** How to run sluice itself for built-in stages: the node binary, the CLI script and global flags. */
  sluice: string[]
  /** Environment of the stages (SLUICE_RUN_ID and SLUICE_STAGE are added). */
  env?: NodeJS.ProcessEnv
  /** Aborting interrupts the run: running stages are stopped and nothing of theirs is cached. */
  signal?: AbortSignal
  /** Aborting kills the running stages at once (SIGKILL to their process groups); the run is still recorded. */
  kill?: AbortSignal
  onEvent?: (e: RunEvent) => void
  clock?: Clock
}

export type RunEvent =
  | { type: 'start'; run: RunRecord }
  | { type: 'stage-start'; stage: string; command: string }
  /** A stage's process started; it leads its own process group (pgid = pid). */
  | { type: 'spawn'; stage: string; pid: number }
  | { type: 'output'; stage: string; line: string; stream: 'stdout' | 'stderr' }
  | { type: 'stage-end'; stage: StageRecord; restored: string[] }
  | { type: 'end'; run: RunRecord }

/**
 * Runs a pipeline: stages in DAG order, independent ones side by side, each skipped when a result
 * for the same inputs (its cache key) is stored, with its outs restored from the artifact store.
 * A failed stage stops the stages downstream of it; the others go on. The run is recorded as it
 * progresses, so even a run that is killed leaves a record.
 */
export async function runPipeline(o: RunOptions): Promise<RunRecord> {
  const { pipeline, store, artifacts } = o
  const clock = o.clock ?? systemClock
  const dag = buildDag(pipeline.stages)
  const selected = selectStages(dag, o.targets ?? [])
  const missing = missingDeps(selected, dag, (p) => existsSync(path.join(pipeline.root, p)))
  if (missing.length > 0) {
    throw new SluiceError(
      'INVALID_CONFIG',
      missing
        .map((m) => `stage "${m.stage}": dep "${m.dep}" does not exist and no stage writes it`)
        .join('\n'),
    )
  }
  await checkUnownedDeps({
    selected,
    stages: pipeline.stages,
    exists: (p) => existsSync(path.join(pipeline.root, p)),
    store: store.pipeline,
    artifacts,
  })
  // Params are checked before anything runs: a missing key is a mistake in the spec, not a stage failure.
  for (const s of selected) for (const k of s.params) paramValue(pipeline.params, k, s.name)
  const environment = {
    ...environmentFingerprint(pipeline.root, SLUICE_VERSION),
    ...(selected.some(usesPython) && { python: pythonVersion() }),
  }
  const run: RunRecord = {
    id: newId('run_', clock.now().getTime()),
    status: 'running',
    started_at: isoNow(clock),
    finished_at: null,
    targets: o.targets ?? [],
    force: Boolean(o.force),
    code: null, // filled in below: git runs while the stages do
    environment,
    pipeline: {
      root: pipeline.root,
      stages: pipeline.spec,
      params: pipeline.params.values,
      gates: pipeline.gates,
    },
    stages: selected.map(pendingRecord),
    error: null,
    holder: thisProcess(),
  }
  const code = codeRevisionAsync(pipeline.root).then((c) => {
    run.code = c
  })
  const hasher = new FileHasher(store.pipeline, pipeline.root)
  const outs = new OutStore(artifacts, hasher, pipeline.root)
  const record = (name: string) => run.stages.find((s) => s.name === name)!
  const emit = o.onEvent ?? (() => {})
  // Records are saved one at a time, in order: a later save never overtakes an earlier one.
  let saving = store.pipeline.saveRun(structuredClone(run))
  const save = () => {
    const snapshot = structuredClone(run)
    saving = saving.then(() => store.pipeline.saveRun(snapshot))
    saving.catch(() => {}) // a failure surfaces at the final, awaited save
    return saving
  }
  await saving
  emit({ type: 'start', run })

  const runOne = async (stage: Stage) => {
    const rec = record(stage.name)
    rec.status = 'running'
    rec.started_at = isoNow(clock)
    const t0 = performance.now()
    emit({ type: 'stage-start', stage: stage.name, command: stage.command })
    let restored: string[] = []
    try {
      restored = await execute(stage, rec)
    } catch (e) {
      rec.status = 'failed'
      rec.error = (e as Error).message
    }
    rec.duration_s = Math.round(performance.now() - t0) / 1000
    await hasher.flush()
    // Not awaited: records are written in order in the background; the final save awaits them all.
    // A cached stage changes nothing worth a write of its own (the final save records it).
    if ((rec.status as StageRecord['status']) !== 'cached') void save()
    emit({ type: 'stage-end', stage: rec, restored })
  }

  const execute = async (stage: Stage, rec: StageRecord): Promise<string[]> => {
    const deps: Record<string, ArtifactRef> = {}
    for (const dep of stage.deps) {
      const ref = await hasher.hash(dep)
      if (!ref) throw new SluiceError('INVALID_INPUT', `dep "${dep}" does not exist`)
      await outs.pin(dep, ref)
      deps[dep] = ref
    }
    rec.deps = deps
    rec.params = Object.fromEntries(stage.params.map((k) => [k, paramValue(pipeline.params, k, stage.name)]))
    const baseline = stage.baseline
      ? await resolveBaseline(
          store,
          stage.baseline,
          stage.baseline.candidate ? ((await hasher.hash(stage.baseline.candidate))?.digest ?? null) : null,
        )
      : undefined
    const material = keyMaterial(stage, deps, rec.params, o.env ?? process.env, environment, baseline)
    rec.env = material.env
    rec.fingerprint = material.fingerprint
    if (baseline) rec.baseline = baseline
    rec.key = stageKey(material)

    const cached = o.force || stage.alwaysRun ? null : await store.pipeline.stageCache(rec.key)
    if (cached && (await outs.available(cached.outs))) {
      const restored = await outs.restore(cached.outs)
      Object.assign(rec, { status: 'cached', outs: cached.outs, metrics: cached.metrics, log: cached.log })
      return restored
    }

    const written = [...stage.outs, ...stage.metrics]
    // Interrupted while its deps were hashed: nothing is started (or deleted).
    if (o.signal?.aborted)
      throw new SluiceError('INTERNAL', 'interrupted before it started; nothing was cached')
    await outs.clear(written)
    const proc = startStage(stage, {
      root: pipeline.root,
      sluice: o.sluice,
      env: { ...(o.env ?? process.env), SLUICE_RUN_ID: run.id, SLUICE_STAGE: stage.name },
      onLine: (line, stream) => emit({ type: 'output', stage: stage.name, line, stream }),
    })
    if (proc.pid !== undefined) emit({ type: 'spawn', stage: stage.name, pid: proc.pid })
    // Recorded as running: should this process die, a reader marks the run crashed with this stage failed.
    void save()
    const onAbort = () => proc.kill()
    const onKill = () => proc.kill({ now: true })
    o.signal?.addEventListener('abort', onAbort)
    o.kill?.addEventListener('abort', onKill)
    if (o.kill?.aborted) onKill()
    else if (o.signal?.aborted) onAbort()
    const exit = await proc.done.finally(() => {
      o.signal?.removeEventListener('abort', onAbort)
      o.kill?.removeEventListener('abort', onKill)
    })
    rec.exit_code = exit.code
    rec.log = (await artifacts.put([proc.log()])).digest
    if (o.signal?.aborted) throw new SluiceError('INTERNAL', 'interrupted; nothing of this stage was cached')
    if (exit.error) throw new SluiceError('INVALID_INPUT', `could not start: ${exit.error}`)
    if (exit.code !== 0) {
      const last = clip(proc.lastError() || lastLine(proc.log()))
      throw new SluiceError(
        'INVALID_INPUT',
        `${exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`}${last ? `: ${last}` : ''}`,
      )
    }
    const notWritten = []
    for (const rel of written) if (!(await outs.exists(rel))) notWritten.push(rel)
    if (notWritten.length) {
      throw new SluiceError(
        'INVALID_INPUT',
        `finished but did not write its declared out${notWritten.length > 1 ? 's' : ''} ${notWritten.join(', ')}`,
      )
    }
    for (const rel of stage.metrics) rec.metrics[rel] = await outs.metrics(rel)
    for (const rel of written) rec.outs[rel] = await outs.save(rel)
    const result = {
      stage: stage.name,
      outs: rec.outs,
      metrics: rec.metrics,
      log: rec.log,
      run_id: run.id,
      created_at: isoNow(clock),
    }
    await store.pipeline.saveStageCache({ key: rec.key, ...result })
    // A gate that passed its candidate against another baseline also answers for the day that
    // candidate is the baseline itself (the pipeline registers it and moves the alias next).
    if (baseline?.candidate && baseline.against !== THE_CANDIDATE) {
      const self = stageKey({ ...material, baseline: { ...baseline, against: THE_CANDIDATE } })
      await store.pipeline.saveStageCache({ key: self, ...result })
    }
    rec.status = 'ran'
    return []
  }

  await schedule(selected, dag.upstream, Math.max(1, o.jobs ?? 1), {
    statusOf: (name) => record(name).status,
    start: runOne,
    skip: (stage, because) => {
      const rec = record(stage.name)
      rec.status = 'skipped'
      rec.error = because
      emit({ type: 'stage-end', stage: rec, restored: [] })
    },
    stopped: () => Boolean(o.signal?.aborted),
  })

  run.status = o.signal?.aborted
    ? 'interrupted'
    : run.stages.some((s) => s.status === 'failed')
      ? 'failed'
      : 'succeeded'
  const failed = run.stages.find((s) => s.status === 'failed')
  run.error = failed ? `stage "${failed.name}" failed: ${failed.error}` : null
  run.finished_at = isoNow(clock)
  await code
  await save()
  emit({ type: 'end', run })
  return run
}

/** Starts each stage once its upstream stages are done, up to `jobs` at a time. */
async function schedule(
  stages: Stage[],
  upstream: Map<string, string[]>,
  jobs: number,
  h: {
    statusOf(name: string): StageRecord['status']
    start(stage: Stage): Promise<void>
    skip(stage: Stage, because: string): void
    stopped(): boolean
  },
): Promise<void> {
  const selected = new Set(stages.map((s) => s.name))
  const waiting = [...stages]
  const running = new Set<Promise<void>>()
  for (;;) {
    for (let i = 0; i < waiting.length; i++) {
      const stage = waiting[i]!
      const ups = (upstream.get(stage.name) ?? []).filter((u) => selected.has(u))
      const broken = ups.find((u) => ['failed', 'skipped'].includes(h.statusOf(u)))
      if (h.stopped()) h.skip(stage, 'the run was interrupted before this stage started')
      else if (broken) h.skip(stage, `upstream stage "${broken}" ${h.statusOf(broken)}`)
      else if (running.size < jobs && ups.every((u) => ['ran', 'cached'].includes(h.statusOf(u)))) {
        const p: Promise<void> = h.start(stage).finally(() => running.delete(p))
        running.add(p)
      } else continue
      waiting.splice(i--, 1)
    }
    if (running.size === 0) return
    await Promise.race(running)
  }
}

function pendingRecord(stage: Stage): StageRecord {
  return {
    name: stage.name,
    command: stage.command,
    status: 'pending',
    started_at: null,
    duration_s: null,
    key: null,
    deps: {},
    params: {},
    env: {},
    fingerprint: {},
    outs: {},
    metrics: {},
    log: null,
    exit_code: null,
    error: null,
  }
}

function lastLine(log: Buffer): string {
  const lines = log
    .subarray(Math.max(0, log.length - 4096))
    .toString('utf8')
    .split('\n')
  return (
    lines
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? ''
  )
}

const clip = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s)
