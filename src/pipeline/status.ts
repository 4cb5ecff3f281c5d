import { environmentFingerprint } from '../core/environment.js'
import type { ArtifactRef } from '../core/types.js'
import { SLUICE_VERSION } from '../core/version.js'
import type { StageRecord, Store } from '../store/types.js'
import { resolveBaseline, THE_CANDIDATE } from './baseline.js'
import { buildDag } from './dag.js'
import { FileHasher } from './hasher.js'
import { canonicalJson, keyMaterial, pythonVersion, stageKey, usesPython } from './key.js'
import { type Pipeline, paramValue } from './spec.js'

export interface StageStatus {
  name: string
  /**
   * `up-to-date`: nothing changed since its last run; `cached`: its inputs changed since then, but a
   * cached result matches them, so the next run restores that instead of running it; `stale`: it
   * will run; `always-runs`: it runs every time.
   */
  state: 'up-to-date' | 'cached' | 'stale' | 'always-runs'
  /** Why the stage would run, or what changed since its last run (empty when up to date). */
  reasons: string[]
  /** Outs missing from the work tree that the next run restores from the cache. */
  missing_outs: string[]
}

export interface StatusDoc {
  schema: 'sluice.status/v1'
  stages: StageStatus[]
}

/**
 * Which stages the next `sluice run` would run, and why: each stage's current inputs are compared
 * with those of its last completed run. Nothing is run and nothing is written but file digests.
 */
export async function pipelineStatus(pipeline: Pipeline, store: Store): Promise<StatusDoc> {
  const dag = buildDag(pipeline.stages)
  const hasher = new FileHasher(store.pipeline, pipeline.root)
  const environment = {
    ...environmentFingerprint(pipeline.root, SLUICE_VERSION),
    ...(pipeline.stages.some(usesPython) && { python: pythonVersion() }),
  }
  const out: StageStatus[] = []
  const stale = new Set<string>()
  const lastOuts = new Map<string, Record<string, ArtifactRef>>()
  // Outs the next run restores from the cache, which its dependants will then read.
  const restored = new Map<string, ArtifactRef>()
  for (const stage of dag.order) {
    const reasons: string[] = []
    const last = (await store.pipeline.lastCompletedStage(stage.name))?.stage ?? null
    if (last) lastOuts.set(stage.name, last.outs)
    for (const up of dag.upstream.get(stage.name) ?? [])
      if (stale.has(up)) reasons.push(`upstream stage "${up}" will run`)

    // A dep another stage writes but that is missing here counts as that stage's last out.
    const current = async (rel: string) =>
      restored.get(rel) ?? (await hasher.hash(rel)) ?? producedOut(rel, dag.producer, lastOuts)
    const deps: Record<string, ArtifactRef> = {}
    for (const dep of stage.deps) {
      const ref = await current(dep)
      if (ref) deps[dep] = ref
      else reasons.push(`dep ${dep} does not exist`)
    }
    const candidate = stage.baseline?.candidate
      ? ((await current(stage.baseline.candidate))?.digest ?? null)
      : null
    const baseline = stage.baseline ? await resolveBaseline(store, stage.baseline, candidate) : undefined
    let params: Record<string, unknown> = {}
    try {
      params = Object.fromEntries(stage.params.map((k) => [k, paramValue(pipeline.params, k, stage.name)]))
    } catch (e) {
      reasons.push((e as Error).message)
    }
    const material = keyMaterial(stage, deps, params, process.env, environment, baseline)
    const key = stageKey(material)
    if (!last) reasons.push('never ran')
    else if (last.key !== key) {
      const changes = differences(last, material, stage.command)
      reasons.push(...(changes.length || reasons.length ? changes : ['outs or gate rules changed']))
    }
    const entry = last?.key === key ? null : await store.pipeline.stageCache(key)
    const cached = last?.key === key || entry !== null
    if (!cached && reasons.length === 0) reasons.push('no cached result for its current inputs')
    const upstreamRuns = (dag.upstream.get(stage.name) ?? []).some((up) => stale.has(up))
    const restores = entry !== null && reasons.length > 0 && !upstreamRuns && !stage.alwaysRun
    if (restores) {
      for (const [rel, ref] of Object.entries(entry.outs)) restored.set(rel, ref)
      reasons.push('a cached result matches its current inputs: the next run restores it')
    }

    const missing: string[] = []
    for (const rel of [...stage.outs, ...stage.metrics]) if (!(await hasher.hash(rel))) missing.push(rel)
    await hasher.flush()
    if ((reasons.length && !restores) || stage.alwaysRun) stale.add(stage.name)
    out.push({
      name: stage.name,
      state: stage.alwaysRun ? 'always-runs' : restores ? 'cached' : reasons.length ? 'stale' : 'up-to-date',
      reasons,
      missing_outs: missing,
    })
  }
  return { schema: 'sluice.status/v1', stages: out }
}

function producedOut(
  dep: string,
  producer: Map<string, string>,
  lastOuts: Map<string, Record<string, ArtifactRef>>,
): ArtifactRef | null {
  const stage = producer.get(dep)
  return stage ? (lastOuts.get(stage)?.[dep] ?? null) : null
}

/** What changed between the last completed run of a stage and now, in words. */
function differences(last: StageRecord, now: ReturnType<typeof keyMaterial>, command: string): string[] {
  const reasons: string[] = []

  for (const [dep, digest] of Object.entries(now.deps)) {
    const before = last.deps[dep]?.digest
    if (before === undefined) reasons.push(`dep ${dep} added`)
    else if (before !== digest) reasons.push(`dep ${dep} changed`)
  }
  for (const dep of Object.keys(last.deps)) if (!(dep in now.deps)) reasons.push(`dep ${dep} removed`)
  for (const [key, value] of Object.entries(now.params)) {
    if (!(key in last.params)) reasons.push(`param ${key} added`)
    else if (canonicalJson(last.params[key]) !== canonicalJson(value))
      reasons.push(`param ${key} changed (${show(last.params[key])} → ${show(value)})`)
  }
  for (const key of Object.keys(last.params)) if (!(key in now.params)) reasons.push(`param ${key} removed`)
  // A built-in's command line carries its params: a changed param is the reason, not the command.
  if (last.command !== command && reasons.length === 0) reasons.push('command changed')
  for (const [name, value] of Object.entries(now.env)) {
    if ((last.env[name] ?? null) !== value) reasons.push(`environment variable ${name} changed`)
  }
  for (const [k, v] of Object.entries(now.fingerprint)) {
    if (canonicalJson(last.fingerprint[k]) !== canonicalJson(v))
      reasons.push(k === 'lockfiles' ? 'a lockfile changed' : `${k} version changed`)
  }
  const b = now.baseline
  if (b && last.baseline?.against !== b.against)
    reasons.push(
      b.against === THE_CANDIDATE
        ? `${b.ref} is now the candidate model itself`
        : `${b.ref} changed (${short(last.baseline?.against)} → ${short(b.against)})`,
    )
  return reasons
}

const short = (against: string | undefined) =>
  against === undefined ? 'not recorded' : against.startsWith('sha256:') ? against.slice(0, 19) : against

const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? 'null'
  return s.length > 40 ? `${s.slice(0, 40)}…` : s
}
