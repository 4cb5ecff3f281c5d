import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/** The series one deployment's version writes to on every request, looked up once. */
export interface VersionCounters {
  inFlight: { inc(): void; dec(): void }
  /** Counts a finished request: its status, why it failed (null when it did not), its latency. */
  finished(status: number, reason: string | null, seconds: number): void
}

/** Prometheus metrics of the model server, per deployment and version (`/metrics`). */
export class ServingMetrics {
  readonly registry = new Registry()
  /**
   * The two series every request moves are plain numbers here, copied into prom-client when
   * /metrics is read: prom-client validates and hashes the labels on every call, which cost more
   * than a third of a microsecond per request. Answered (200) requests per deployment and version:
   */
  private readonly answered = new Map<
    string,
    { labels: Record<string, string>; n: number; reported: number }
  >()
  /** Requests running per deployment. */
  private readonly running = new Map<string, { n: number }>()

  readonly requests = new Counter({
    name: 'sluice_inference_requests_total',
    help: 'Inference requests answered, by deployment, version and HTTP status code.',
    labelNames: ['deployment', 'version', 'code'] as const,
    registers: [this.registry],
    collect: () => {
      for (const a of this.answered.values()) {
        if (a.n > a.reported) this.requests.inc(a.labels, a.n - a.reported)
        a.reported = a.n
      }
    },
  })
  readonly errors = new Counter({
    name: 'sluice_inference_errors_total',
    help: 'Inference requests that failed, by deployment, version and reason.',
    labelNames: ['deployment', 'version', 'reason'] as const,
    registers: [this.registry],
  })
  readonly inFlight = new Gauge({
    name: 'sluice_inference_in_flight',
    help: 'Inference requests being answered now, by deployment.',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
    collect: () => {
      for (const [deployment, r] of this.running) this.inFlight.set({ deployment }, r.n)
    },
  })
  readonly shed = new Counter({
    name: 'sluice_inference_shed_total',
    help: 'Requests refused with 503 because too many were waiting.',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
  })
  readonly shadowDropped = new Counter({
    name: 'sluice_shadow_dropped_total',
    help: 'Requests not copied to a shadow version because too many shadow calls were running.',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
  })
  readonly streamDrops: Gauge
  readonly latency = new Histogram({
    name: 'sluice_inference_latency_seconds',
    help: 'Time from request to response, by deployment and version.',
    labelNames: ['deployment', 'version'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  })

  /** `dropped` reads how many prediction records the monitoring stream has dropped so far. */
  constructor(dropped: () => number) {
    this.streamDrops = new Gauge({
      name: 'sluice_prediction_stream_dropped_total',
      help: 'Prediction records dropped because the monitoring stream was full.',
      registers: [this.registry],
      collect() {
        this.set(dropped())
      },
    })
  }

  private readonly byVersion = new Map<string, VersionCounters>()

  /** The counters of one deployment's version (prom-client hashes label sets per call; this does it once). */
  forVersion(deployment: string, version: number): VersionCounters {
    const key = `${deployment}\u0000${version}`
    let c = this.byVersion.get(key)
    if (!c) {
      const labels = { deployment, version: String(version) }
      const ok = { labels: { ...labels, code: '200' }, n: 0, reported: 0 }
      this.answered.set(key, ok)
      if (!this.running.has(deployment)) this.running.set(deployment, { n: 0 })
      const r = this.running.get(deployment)!
      const latency = this.latency.labels(labels)
      c = {
        inFlight: {
          inc: () => void r.n++,
          dec: () => void r.n--,
        },
        finished: (status, reason, seconds) => {
          if (status === 200) ok.n++
          else this.requests.inc({ ...labels, code: String(status) })
          if (reason) this.errors.inc({ ...labels, reason })
          latency.observe(seconds)
        },
      }
      this.byVersion.set(key, c)
    }
    return c
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
