import type { Rejection } from '../store/rejections.js'
import type { Decision, RolloutState } from './machine.js'

/**
 * What a rollout's move rejects in the registry (pure): an A/B arm that left the test, the
 * candidates of a rollout the analysis aborted, and — with `byHand`, when `sluice rollback` aborts
 * it — the candidates of a rollout aborted by a person. `serving` is the version the deployment
 * answers with afterwards: where the aliases that named a rejected version go. Each reason says
 * which rollout decided, on which deployment, and when.
 */
export function rejectionOf(
  decisions: Decision[],
  state: RolloutState,
  context: { rollout: string; deployment: string; byHand?: string },
): Rejection | null {
  const model = (version: number) =>
    state.candidates.find((c) => c.version === version)?.model ?? state.stable.model
  const by = (at: string) => ` — rollout ${context.rollout} on deployment "${context.deployment}", ${at}`
  const versions: Rejection['versions'] = []
  for (const d of decisions) {
    if (d.kind === 'reject') {
      const v = d.detail.version as number
      versions.push({ model: model(v), version: v, reason: `${String(d.detail.reason)}${by(d.at)}` })
    }
    const reason = d.detail.manual === false ? d.message : context.byHand
    if (d.kind === 'abort' && reason)
      for (const v of d.detail.rejected as number[])
        versions.push({ model: model(v), version: v, reason: `${reason}${by(d.at)}` })
  }
  if (versions.length === 0) return null
  const serving = state.result ?? state.stable
  return { versions, serving: { model: serving.model, version: serving.version } }
}
