import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { isoNow } from '../core/clock.js'
import { SluiceError } from '../core/errors.js'
import type { Signature, TensorSpec } from '../core/types.js'
import { inspectModel } from '../models/inspect.js'
import type { LocalRegistry } from '../registry/local.js'
import { checkName } from '../registry/names.js'
import { parseModelRef } from '../registry/refs.js'
import { rejectedRefusal } from '../store/rejections.js'
import type { DeploymentEvent, DeploymentRecord } from '../store/types.js'
import { ModelCache } from './model-cache.js'

/**
 * Makes a registered version the one answering a deployment (creating the deployment if needed).
 * An alias is resolved now: the deployment pins that version and records the alias. The model is
 * fetched and loaded first; one that does not load is refused with the reason, and the deployment
 * keeps the version it had. Running servers pick the change up from the store.
 */
/** `sluice.deployment/v1`: a deployment as the CLI prints it and the REST API answers it. */
export function deploymentDoc(r: DeploymentRecord, previous: DeploymentRecord | null = null) {
  return {
    schema: 'sluice.deployment/v1',
    name: r.name,
    model: r.model,
    version: r.version,
    alias: r.alias,
    batching: r.batching,
    routing: r.routing,
    revision: r.revision,
    created_at: r.created_at,
    updated_at: r.updated_at,
    ...(previous !== null && { previous: { model: previous.model, version: previous.version } }),
  }
}

export type DeploymentDoc = ReturnType<typeof deploymentDoc>

export async function deploy(
  registry: LocalRegistry,
  ref: string,
  deployment: string,
  options: { batching?: DeploymentRecord['batching']; force?: boolean } = {},
): Promise<{ record: DeploymentRecord; previous: DeploymentRecord | null }> {
  checkName('deployment', deployment)
  const { selector } = parseModelRef(ref)
  const v = await registry.getModelVersion(ref)
  // Before loading it; the store checks again in the transaction that records the change.
  if (v.status === 'rejected' && !options.force)
    throw new SluiceError('CONFLICT', rejectedRefusal(`${v.name}@${v.version}`, v.status_reason, 'deploy it'))
  const signature = await checkLoads(registry, v.name, v.version, `deployment "${deployment}" is unchanged`)
  if (options.batching) refuseFixedBatch(signature.inputs, `${v.name}@${v.version}`)
  const previous = await registry.store.deployments.getDeployment(deployment)
  const record = await registry.store.deployments.setDeployment({
    name: deployment,
    model: v.name,
    version: v.version,
    alias: selector.kind === 'alias' ? selector.alias : null,
    batching: options.batching ?? null,
    at: isoNow(),
    ...(options.force && { force: true }),
  })
  return { record, previous }
}

/**
 * Loads a version in a scratch folder, as a server would, and returns its signature; a version
 * that does not load is refused with the reason (`unchanged` says what stays as it was).
 */
export async function checkLoads(
  registry: LocalRegistry,
  model: string,
  version: number,
  unchanged: string,
): Promise<Signature> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'sluice-deploy-'))
  const cache = new ModelCache(registry, scratch)
  try {
    return (await cache.load(model, version)).signature
  } catch (e) {
    throw new SluiceError(
      'INVALID_INPUT',
      `${model}@${version} cannot be deployed: it does not load (${(e as Error).message}); ${unchanged}`,
      { cause: e },
    )
  } finally {
    await cache.close()
    await rm(scratch, { recursive: true, force: true })
  }
}

/** Micro-batching stacks requests along the first dimension: a model that fixes it cannot batch. */
function refuseFixedBatch(inputs: TensorSpec[], label: string): void {
  const fixed = inputs.find((i) => (i.shape[0] ?? -1) > 0)
  if (fixed)
    throw new SluiceError(
      'USAGE',
      `${label} cannot be micro-batched: its input "${fixed.name}" has a fixed batch size (shape [${fixed.shape.join(', ')}]), and batching stacks requests along that dimension; deploy it without --batch-size`,
    )
}

/**
 * What the CLI does with deployments, wherever they live: in this home's store (`localDeployments`)
 * or on a running server (`HttpDeployments`, for `--server URL`).
 */
export interface Deployments {
  /** `force` deploys a rejected version. */
  deploy(
    ref: string,
    name: string,
    options: { batching: DeploymentRecord['batching']; force?: boolean },
  ): Promise<DeploymentDoc>
  list(): Promise<DeploymentDoc[]>
  show(name: string, limit: number): Promise<DeploymentDoc & { history: DeploymentEvent[] }>
  close(): Promise<void>
}

export function localDeployments(registry: LocalRegistry): Deployments {
  const store = registry.store.deployments
  return {
    async deploy(ref, name, options) {
      const { record, previous } = await deploy(registry, ref, name, options)
      return deploymentDoc(record, previous)
    },
    async list() {
      return (await store.listDeployments()).map((r) => deploymentDoc(r))
    },
    async show(name, limit) {
      const record = await store.getDeployment(name)
      if (!record)
        throw new SluiceError(
          'NOT_FOUND',
          `deployment "${name}" not found; list them with \`sluice deployments list\``,
        )
      return { ...deploymentDoc(record), history: await store.history(name, limit) }
    },
    close: () => registry.close(),
  }
}

/**
 * Serves one model file as a deployment: registers it in this home as `NAME` or `NAME@N` (or
 * finds the version already registered with the same content) and deploys it. What a pod of a cluster deployment does at
 * start (`sluice serve --model FILE --deployment D`): each pod serves the one version its
 * template names, and the cluster's controller (Argo Rollouts, KServe) shifts the pods.
 */
export async function deployFile(
  registry: LocalRegistry,
  input: { file: string; model: string; deployment: string },
): Promise<DeploymentRecord> {
  // `NAME@N` keeps the version number of the registry the file came from (metrics and rollouts name versions by it).
  const m = /^(.+?)(?:@(\d+))?$/.exec(input.model)!
  const name = m[1]!
  const number = m[2] === undefined ? undefined : Number(m[2])
  const { signature } = await inspectModel(input.file, 'onnx')
  const artifact = await registry.storeArtifact(input.file)
  const known = (await registry.searchModelVersions({ name, limit: 1000 })).items.find(
    (v) => v.artifact.digest === artifact.digest && (number === undefined || v.version === number),
  )
  const version =
    known ??
    (await registry.registerModelVersion({ name, artifact, flavor: 'onnx', signature, version: number }))
  // The pod serves the version its template names, even one this home marked rejected: in a
  // cluster the rollout controller (Argo Rollouts, KServe) decides which pods take traffic.
  return (await deploy(registry, `${version.name}@${version.version}`, input.deployment, { force: true }))
    .record
}
