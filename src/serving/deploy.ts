import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { isoNow } from '../core/clock.js'
import { SluiceError } from '../core/errors.js'
import type { LocalRegistry } from '../registry/local.js'
import { checkName } from '../registry/names.js'
import { parseModelRef } from '../registry/refs.js'
import type { DeploymentRecord } from '../store/types.js'
import { ModelCache } from './model-cache.js'

/**
 * Makes a registered version the one answering a deployment (creating the deployment if needed).
 * An alias is resolved now: the deployment pins that version and records the alias. The model is
 * fetched and loaded first; one that does not load is refused with the reason, and the deployment
 * keeps the version it had. Running servers pick the change up from the store.
 */
export async function deploy(
  registry: LocalRegistry,
  ref: string,
  deployment: string,
  options: { batching?: DeploymentRecord['batching'] } = {},
): Promise<{ record: DeploymentRecord; previous: DeploymentRecord | null }> {
  checkName('deployment', deployment)
  const { selector } = parseModelRef(ref)
  const v = await registry.getModelVersion(ref)
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'sluice-deploy-'))
  const cache = new ModelCache(registry, scratch)
  try {
    await cache.load(v.name, v.version)
  } catch (e) {
    throw new SluiceError(
      'INVALID_INPUT',
      `${v.name}@${v.version} cannot be deployed: it does not load (${(e as Error).message}); deployment "${deployment}" is unchanged`,
      { cause: e },
    )
  } finally {
    await cache.close()
    await rm(scratch, { recursive: true, force: true })
  }
  const previous = await registry.store.deployments.getDeployment(deployment)
  const record = await registry.store.deployments.setDeployment({
    name: deployment,
    model: v.name,
    version: v.version,
    alias: selector.kind === 'alias' ? selector.alias : null,
    batching: options.batching ?? null,
    at: isoNow(),
  })
  return { record, previous }
}
