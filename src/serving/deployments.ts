import type { DeploymentRecord, DeploymentStore } from '../store/types.js'
import { Batcher } from './batcher.js'
import type { LoadedVersion, ModelCache } from './model-cache.js'
import { Router } from './router.js'

export interface ActiveDeployment {
  record: DeploymentRecord
  /** The stable version; null while the first load is pending or failed. */
  current: LoadedVersion | null
  /** Splits traffic between the stable version and a rollout's arms; null when `current` is. */
  router: Router | null
  /** Why the deployment is not ready, when it is not. */
  problem: string | null
  /** Rollout arms that could not be loaded here (they get no traffic), with the reason. */
  armProblems: { model: string; version: number; problem: string }[]
  /** The versions this deployment holds loaded (the router's, or more after a flip made here). */
  held: LoadedVersion[]
  /**
   * Set by a flip made here before its write reached the store: the stored revision it departs
   * from. Records at or below it were read before the write and are ignored.
   */
  flippedFrom: number | null
  /** Per version answering requests: stacks concurrent ones into one model call, when the deployment asks for it. */
  batchers: Map<LoadedVersion, Batcher>
}

/**
 * The server's view of the deployments: polled from the store, so a change made by any process
 * (the CLI, another server, a rollout) takes effect here within one poll. A new version is loaded
 * before it is switched in — a pointer swap — and the old one is dropped, to be unloaded when its
 * last in-flight request ends.
 */
export class DeploymentTable {
  private readonly active = new Map<string, ActiveDeployment>()
  private timer: NodeJS.Timeout | undefined
  private refreshing: Promise<void> | null = null
  private next: Promise<void> | null = null

  constructor(
    private readonly store: DeploymentStore,
    private readonly cache: ModelCache,
    private readonly options: {
      pollMs: number
      log: (entry: Record<string, unknown>) => void
      /** Longest a model call may take (a batched call is timed once for all its requests). */
      timeoutMs?: number
    },
  ) {}

  async start(): Promise<void> {
    await this.refresh()
    this.timer = setInterval(() => void this.refresh(), this.options.pollMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  get(name: string): ActiveDeployment | undefined {
    return this.active.get(name)
  }

  list(): ActiveDeployment[] {
    return [...this.active.values()]
  }

  /**
   * Routes a deployment's traffic at once, among versions it already holds — a rollback's pointer
   * flip, made before the change is written to the store (the next poll then applies the stored
   * routing as usual). Returns false when a version the routing names is not loaded here.
   */
  reroute(
    name: string,
    routing: DeploymentRecord['routing'],
    stable: { model: string; version: number },
  ): boolean {
    const d = this.active.get(name)
    if (!d?.current || !d.router) return false
    const versions = new Map(d.held.map((v) => [`${v.model}@${v.version}`, v]))
    const next = versions.get(`${stable.model}@${stable.version}`)
    if (!next) return false
    d.router = new Router(routing, next, versions)
    d.current = next
    // Not the stored record any more: stale reads are ignored until the store holds a newer one.
    if (d.flippedFrom === null) d.flippedFrom = d.record.revision
    d.record = { ...d.record, routing, revision: -1 }
    return true
  }

  /**
   * Reads the store and applies every change. A call during a pass gets the pass after it (which
   * reads what was written meanwhile); calls during a pass share that next one.
   */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.apply().finally(() => {
        this.refreshing = null
      })
      return this.refreshing
    }
    this.next ??= this.refreshing.then(() => {
      this.next = null
      return this.refresh()
    })
    return this.next
  }

  private async apply(): Promise<void> {
    let records: DeploymentRecord[]
    try {
      records = await this.store.listDeployments()
    } catch (e) {
      this.options.log({ level: 'error', msg: 'reading deployments failed', error: String(e) })
      return
    }
    await Promise.all(records.map((r) => this.applyOne(r)))
  }

  private async applyOne(record: DeploymentRecord): Promise<void> {
    const known = this.active.get(record.name)
    if (known && known.record.revision === record.revision) return
    if (known?.flippedFrom != null && record.revision <= known.flippedFrom) return
    let stable: LoadedVersion
    try {
      stable = await this.cache.loadHeld(record.model, record.version)
    } catch (e) {
      // The version that answered keeps answering; the change is retried at the next poll.
      const problem = `${record.model}@${record.version} could not be loaded: ${(e as Error).message}`
      if (known) known.problem = problem
      else
        this.active.set(record.name, {
          record: { ...record, revision: -1 },
          current: null,
          router: null,
          problem,
          armProblems: [],
          held: [],
          flippedFrom: null,
          batchers: new Map(),
        })
      this.options.log({
        level: 'error',
        msg: 'deployment load failed',
        deployment: record.name,
        error: problem,
      })
      return
    }
    const { versions, armProblems } = await this.loadArms(record)
    const previous = this.active.get(record.name)
    versions.set(`${stable.model}@${stable.version}`, stable)
    const router = new Router(record.routing, stable, versions)
    const sameStable = previous?.current === stable
    this.active.set(record.name, {
      record,
      current: stable,
      router,
      problem: null,
      armProblems,
      // Loaded held, so the old set can be dropped now: a version in both is never unloaded.
      held: [...versions.values()],
      flippedFrom: null,
      batchers: batchersFor(record, [...versions.values()], previous, this.options.timeoutMs),
    })
    for (const v of previous?.held ?? []) this.cache.drop(v)
    if (!sameStable)
      this.options.log({
        level: 'info',
        msg: 'deployment switched',
        deployment: record.name,
        model: record.model,
        version: record.version,
        previous_version: previous?.current?.version ?? null,
        engine: stable.engine.name,
        ...(stable.engine.reason && { engine_note: stable.engine.reason }),
      })
    for (const p of armProblems)
      this.options.log({ level: 'error', msg: 'rollout arm load failed', deployment: record.name, ...p })
  }

  /** Loads (and holds) each rollout arm but the stable; one that fails is reported, not routed to. */
  private async loadArms(record: DeploymentRecord) {
    const versions = new Map<string, LoadedVersion>()
    const armProblems: ActiveDeployment['armProblems'] = []
    await Promise.all(
      (record.routing?.arms ?? [])
        .filter((arm) => arm.role !== 'stable')
        .map(async (arm) => {
          try {
            versions.set(`${arm.model}@${arm.version}`, await this.cache.loadHeld(arm.model, arm.version))
          } catch (e) {
            armProblems.push({
              model: arm.model,
              version: arm.version,
              problem: `${arm.model}@${arm.version} could not be loaded: ${(e as Error).message}`,
            })
          }
        }),
    )
    return { versions, armProblems }
  }
}

function sameBatching(a: DeploymentRecord, b: DeploymentRecord): boolean {
  return JSON.stringify(a.batching) === JSON.stringify(b.batching)
}

/** A batcher per version when the deployment batches; a version's batcher is kept while the batching stays. */
function batchersFor(
  record: DeploymentRecord,
  versions: LoadedVersion[],
  previous: ActiveDeployment | undefined,
  timeoutMs: number | undefined,
): Map<LoadedVersion, Batcher> {
  const batchers = new Map<LoadedVersion, Batcher>()
  if (!record.batching) return batchers
  const keep = previous && sameBatching(previous.record, record) ? previous.batchers : null
  for (const v of versions)
    batchers.set(
      v,
      keep?.get(v) ??
        new Batcher(v.run, {
          maxRows: record.batching.max_rows,
          maxWaitMs: record.batching.max_wait_ms,
          timeoutMs,
        }),
    )
  return batchers
}
