import type { DeploymentRecord, DeploymentStore } from '../store/types.js'
import { Batcher } from './batcher.js'
import type { LoadedVersion, ModelCache } from './model-cache.js'

export interface ActiveDeployment {
  record: DeploymentRecord
  /** The version answering; null while the first load is pending or failed. */
  current: LoadedVersion | null
  /** Why the deployment is not ready, when it is not. */
  problem: string | null
  /** Stacks concurrent requests into one model call, when the deployment asks for it. */
  batcher: Batcher | null
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

  constructor(
    private readonly store: DeploymentStore,
    private readonly cache: ModelCache,
    private readonly options: { pollMs: number; log: (entry: Record<string, unknown>) => void },
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

  /** Reads the store and applies every change; concurrent calls share one pass. */
  refresh(): Promise<void> {
    this.refreshing ??= this.apply().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
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
    const same =
      known?.current && known.current.model === record.model && known.current.version === record.version
    if (same) {
      known.record = record
      known.batcher = batcherFor(record, known.current!)
      return
    }
    try {
      const next = await this.cache.load(record.model, record.version)
      const previous = this.active.get(record.name)?.current ?? null
      this.cache.hold(next)
      this.active.set(record.name, {
        record,
        current: next,
        problem: null,
        batcher: batcherFor(record, next),
      })
      if (previous) this.cache.drop(previous)
      this.options.log({
        level: 'info',
        msg: 'deployment switched',
        deployment: record.name,
        model: record.model,
        version: record.version,
        previous_version: previous?.version ?? null,
      })
    } catch (e) {
      // The version that answered keeps answering; the change is retried at the next poll.
      const problem = `${record.model}@${record.version} could not be loaded: ${(e as Error).message}`
      if (known) known.problem = problem
      else
        this.active.set(record.name, {
          record: { ...record, revision: -1 },
          current: null,
          problem,
          batcher: null,
        })
      this.options.log({
        level: 'error',
        msg: 'deployment load failed',
        deployment: record.name,
        error: problem,
      })
    }
  }
}

function batcherFor(record: DeploymentRecord, v: LoadedVersion): Batcher | null {
  if (!record.batching) return null
  return new Batcher(v.run, {
    maxRows: record.batching.max_rows,
    maxWaitMs: record.batching.max_wait_ms,
  })
}
