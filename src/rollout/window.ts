import type { Outcome } from '../serving/outcome.js'
import { type RowPredictions, rowPredictions } from './predictions.js'

/** One request as the analysis sees it. */
export interface Sample {
  at: number
  /** False for a server error (5xx): what the error rate counts. */
  ok: boolean
  latency_ms: number
  predictions: RowPredictions | null
  /** A shadow's sample: the stable's answer to the same request. */
  reference?: { predictions: RowPredictions; latency_ms: number }
}

/**
 * The recent requests of each version of one deployment (a sliding window). Kept raw — a few
 * thousand per window at the rates one server takes — so each rule reads the exact values.
 */
export class SampleWindow {
  private readonly byVersion = new Map<number, Sample[]>()

  add(o: Outcome): void {
    const sample: Sample = {
      at: o.at,
      ok: o.status < 500,
      latency_ms: o.latency_ms,
      predictions: o.outputs ? rowPredictions(o.outputs, o.signature) : null,
    }
    if (o.reference)
      sample.reference = {
        predictions: rowPredictions(o.reference.outputs, o.reference.signature),
        latency_ms: o.reference.latency_ms,
      }
    let list = this.byVersion.get(o.version)
    if (!list) {
      list = []
      this.byVersion.set(o.version, list)
    }
    list.push(sample)
  }

  /** The samples of a version from `since` on (older ones are let go). */
  recent(version: number, since: number): Sample[] {
    const list = this.byVersion.get(version)
    if (!list) return []
    let drop = 0
    while (drop < list.length && list[drop]!.at < since) drop++
    if (drop > 0) list.splice(0, drop)
    return list
  }
}
