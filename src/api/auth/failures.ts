import { Counter, type Registry } from 'prom-client'
import { isoAt } from '../../core/clock.js'
import type { Refusal } from './verifier.js'

/** Where a refused request came from, as its log line says. */
export interface RefusedRequest {
  method: string
  path: string
  remote: string | undefined
  requestId: string
}

/**
 * Counts refused requests (`sluice_auth_failures_total` by reason, on the server's `/metrics`) and
 * logs each one: reason, token name when the token is known, method, path, remote address,
 * request id — never the token itself.
 */
export class AuthFailures {
  private readonly counter: Counter<'reason'>

  constructor(private readonly log: (entry: Record<string, unknown>) => void) {
    this.counter = new Counter({
      name: 'sluice_auth_failures_total',
      help: 'Requests refused for want of a valid API token (401) or of a strong enough one (403), by reason.',
      labelNames: ['reason'] as const,
      registers: [],
    })
  }

  /** Shows the count on a `/metrics` registry (the model server's). */
  expose(registry: Registry): void {
    registry.registerMetric(this.counter)
  }

  record(refusal: Refusal, request: RefusedRequest): void {
    this.counter.inc({ reason: refusal.reason })
    this.log({
      time: isoAt(Date.now()),
      level: 'warn',
      msg: 'request refused',
      reason: refusal.reason,
      status: refusal.status,
      ...(refusal.token !== undefined && { token: refusal.token }),
      method: request.method,
      path: request.path,
      remote: request.remote ?? null,
      request_id: request.requestId,
    })
  }
}
