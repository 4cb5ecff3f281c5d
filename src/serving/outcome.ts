import type { Signature } from '../core/types.js'
import type { OutputTensor } from './protocol/outputs.js'
import type { Role } from './router.js'

/**
 * How one request to a deployment under a rollout went, on one version: what a rollout's analysis
 * measures (error rate, latency, the predictions themselves). A shadow's outcome carries the
 * stable's answer to the same request, to compare them.
 */
export interface Outcome {
  deployment: string
  model: string
  version: number
  role: Role
  /** Epoch milliseconds when the request arrived. */
  at: number
  status: number
  latency_ms: number
  rows: number
  /** The model's outputs (null when it failed). */
  outputs: Record<string, OutputTensor> | null
  signature: Signature
  /** A shadow's outcome: the stable version's answer to the same request. */
  reference?: {
    version: number
    outputs: Record<string, OutputTensor>
    signature: Signature
    latency_ms: number
  }
}

export type OutcomeObserver = (outcome: Outcome) => void
