import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import type { Hono } from 'hono'
import { isoAt } from '../core/clock.js'
import { jsonLogger } from '../core/log.js'
import { PredictionStream } from '../core/prediction.js'
import type { LocalRegistry } from '../registry/local.js'
import { DeploymentTable } from './deployments.js'
import { type InferenceGate, inferenceFastPath } from './fast-path.js'
import {
  DEFAULT_LIMITS,
  type InferCall,
  inferenceHandler,
  type Reply,
  type ServingLimits,
} from './handler.js'
import { ServingMetrics } from './metrics.js'
import { ModelCache } from './model-cache.js'
import type { OutcomeObserver } from './outcome.js'
import { type RouteAccess, servingRoutes } from './routes.js'

export interface ServingOptions {
  registry: LocalRegistry
  /** Folder for fetched model files (inside the home). */
  dir: string
  limits?: Partial<ServingLimits>
  /** How often the deployments are read from the store (a change answers within this). */
  pollMs?: number
  /** Prediction records kept for monitoring before new ones are dropped. */
  streamCapacity?: number
  /** false: every model runs in onnxruntime, never in sluice's kernel for small linear graphs. */
  kernel?: boolean
  log?: (entry: Record<string, unknown>) => void
  /**
   * Who may call inference on the fast path (`serving.auth: token`); absent, anyone may and the
   * fast path does no work for it. The routes answered by the web framework are guarded by the
   * server's scope table (`access`).
   */
  gate?: InferenceGate
}

export interface Serving {
  routes: Hono
  /** Who may call each of `routes` (the server's scope table installs the checks). */
  access: RouteAccess[]
  /** Answers one inference request (what the routes and the fast path call). */
  handle: (call: InferCall) => Promise<Reply>
  /** The inference routes answered from Node's own objects (give it to `listen`). */
  fastPath: (req: IncomingMessage, res: ServerResponse) => boolean
  stream: PredictionStream
  metrics: ServingMetrics
  table: DeploymentTable
  /** Hears how each request to a deployment under a rollout went (the rollout controller listens). */
  observe(observer: OutcomeObserver): void
  close(): Promise<void>
}

/** The model server's parts, wired: deployments polled from the store, loaded models, routes, metrics. */
export async function startServing(o: ServingOptions): Promise<Serving> {
  const log =
    o.log ??
    (
      (logger) => (e: Record<string, unknown>) =>
        logger({ time: isoAt(Date.now()), ...e })
    )(jsonLogger())
  const cache = new ModelCache(o.registry, path.resolve(o.dir), { kernel: o.kernel, log })
  const limits = { ...DEFAULT_LIMITS, ...o.limits }
  const table = new DeploymentTable(o.registry.store.deployments, cache, {
    pollMs: o.pollMs ?? 500,
    log,
    timeoutMs: limits.timeoutMs,
  })
  const stream = new PredictionStream(o.streamCapacity ?? 10_000)
  const metrics = new ServingMetrics(() => stream.dropped)
  await table.start()
  const observers: OutcomeObserver[] = []
  const deps = { table, cache, metrics, stream, limits, observers }
  const handle = inferenceHandler(deps)
  const { app: routes, access } = servingRoutes(deps, handle)
  routes.get('/metrics', async (c) =>
    c.body(await metrics.text(), 200, { 'content-type': metrics.contentType }),
  )
  // Any valid token once tokens exist: operational figures (deployment names, request counts),
  // read by a Prometheus that holds an infer token.
  access.push({ method: 'GET', path: '/metrics', access: 'infer' })
  return {
    routes,
    access,
    handle,
    fastPath: inferenceFastPath(handle, { maxBodyBytes: limits.maxBodyBytes, log, gate: o.gate }),
    stream,
    metrics,
    table,
    observe: (f) => observers.push(f),
    async close() {
      table.stop()
      await cache.close()
    },
  }
}
