import type { ActiveDeployment } from './deployments.js'
import type { LoadedVersion } from './model-cache.js'

/**
 * Picks the version that answers a request to a deployment. Today a deployment has one version;
 * progressive delivery (canary, shadow, A/B) replaces this with weighted, sticky routing between
 * the versions a rollout holds. Returns null when the asked-for version does not answer here.
 */
export function pickVersion(deployment: ActiveDeployment, asked: number | null): LoadedVersion | null {
  const current = deployment.current
  if (!current) return null
  if (asked !== null && asked !== current.version) return null
  return current
}
