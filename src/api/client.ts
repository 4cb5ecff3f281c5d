import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { getToPath, putPath } from '../artifacts/transfer.js'
import type { GcReport, VerifyReport } from '../artifacts/types.js'
import { verifying } from '../artifacts/verifying.js'
import { ERROR_CODES, type ErrorCode, SluiceError } from '../core/errors.js'
import { checkRegular } from '../core/regular.js'
import type {
  ArtifactRef,
  DatasetFormat,
  DatasetVersionDoc,
  ModelStatus,
  ModelVersionDoc,
} from '../core/types.js'
import { parseDatasetRef, parseModelRef } from '../registry/refs.js'
import type {
  AliasDoc,
  DatasetAddDoc,
  DatasetListDoc,
  DatasetVersionListDoc,
  ModelVersionListDoc,
  RegisterInput,
  Registry,
  SearchQuery,
} from '../registry/types.js'
import type { PlanInput, YamlSource } from '../rollout/plan.js'
import type { RollbackDoc, RolloutDoc, RolloutHistoryDoc, Rollouts } from '../rollout/service.js'
import type { DeploymentDoc, Deployments } from '../serving/deploy.js'
import type { DeploymentEvent, DeploymentRecord } from '../store/types.js'
import type { CreatedTokenDoc, NewToken, TokenDoc, TokenListDoc, Tokens } from './auth/tokens.js'

/**
 * The Registry interface over HTTP, for `--server URL`: the same calls, made on a running server,
 * with the API token of `SLUICE_TOKEN` (when set) as `Authorization: Bearer …`.
 */
export class HttpRegistry implements Registry {
  private readonly base: string
  private readonly token: string | undefined

  constructor(serverUrl: string, token: string | undefined = process.env.SLUICE_TOKEN) {
    this.base = serverUrl.replace(/\/+$/, '')
    this.token = token?.trim() || undefined
  }

  private async request(
    method: string,
    route: string,
    init: { json?: unknown; body?: Readable; query?: URLSearchParams } = {},
  ) {
    const url = `${this.base}${route}${init.query?.size ? `?${init.query}` : ''}`
    const headers: Record<string, string> = {}
    if (this.token) headers.authorization = `Bearer ${this.token}`
    // The server takes JSON bodies as application/json and uploads as application/octet-stream only.
    if (init.json !== undefined) headers['content-type'] = 'application/json'
    if (init.body) headers['content-type'] = 'application/octet-stream'
    let res: Response
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(init.json !== undefined && { body: JSON.stringify(init.json) }),
        ...(init.body && { body: Readable.toWeb(init.body) as ReadableStream, duplex: 'half' }),
      } as RequestInit)
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause
      throw new SluiceError(
        'SERVER_UNREACHABLE',
        `cannot reach the sluice server at ${this.base} (${cause?.code ?? cause?.message ?? (e as Error).message}); start it with \`sluice server\` or check --server / SLUICE_SERVER`,
      )
    }
    if (!res.ok) {
      const doc = (await res.json().catch(() => null)) as {
        error?: { code?: string; message?: string }
      } | null
      const code = (
        doc?.error?.code && doc.error.code in ERROR_CODES ? doc.error.code : 'INTERNAL'
      ) as ErrorCode
      throw new SluiceError(code, doc?.error?.message ?? `${method} ${route} failed with HTTP ${res.status}`)
    }
    return res
  }

  /** One JSON call on the server; an error answer becomes the SluiceError it describes. */
  async json<T>(
    method: string,
    route: string,
    init: Parameters<HttpRegistry['request']>[2] = {},
  ): Promise<T> {
    return (await (await this.request(method, route, init)).json()) as T
  }

  storeArtifact(source: string): Promise<ArtifactRef> {
    const ref = (a: ArtifactRef): ArtifactRef => ({ digest: a.digest, size: a.size, kind: a.kind })
    return putPath(
      {
        putBlob: async (body) => ref(await this.json('POST', '/api/v1/artifacts', { body })),
        putFolder: async (files) =>
          ref(await this.json('POST', '/api/v1/artifacts/folders', { json: { files } })),
      },
      source,
    )
  }

  /** Downloads into a temp name beside `dest`, checking every blob's digest here, then renames into place. */
  fetchArtifact(artifact: Pick<ArtifactRef, 'digest' | 'kind'>, dest: string): Promise<void> {
    return getToPath(
      {
        open: async (digest) => {
          const res = await this.request('GET', `/api/v1/artifacts/${digest}`)
          return Readable.fromWeb(res.body as never).pipe(verifying(digest))
        },
      },
      artifact,
      dest,
    )
  }

  registerModelVersion(input: RegisterInput): Promise<ModelVersionDoc> {
    const { name, artifact, ...rest } = input
    const body = { ...rest, artifact: { digest: artifact.digest, kind: artifact.kind } }
    return this.json('POST', `/api/v1/models/${encodeURIComponent(name)}/versions`, { json: body })
  }

  getModelVersion(ref: string): Promise<ModelVersionDoc> {
    return this.json('GET', versionPath(ref))
  }

  searchModelVersions(q: SearchQuery): Promise<ModelVersionListDoc> {
    const query = new URLSearchParams()
    for (const k of ['name', 'prefix', 'alias', 'where', 'page_token'] as const)
      if (q[k] !== undefined) query.set(k, q[k])
    if (q.limit !== undefined) query.set('limit', String(q.limit))
    for (const [k, v] of Object.entries(q.tags ?? {})) query.append('tag', `${k}=${v}`)
    for (const s of q.statuses ?? []) query.append('status', s)
    return this.json('GET', '/api/v1/model-versions', { query })
  }

  setAlias(
    name: string,
    alias: string,
    version: number,
    options: { force?: boolean } = {},
  ): Promise<AliasDoc> {
    return this.json(
      'PUT',
      `/api/v1/models/${encodeURIComponent(name)}/aliases/${encodeURIComponent(alias)}`,
      { json: { version, force: Boolean(options.force) } },
    )
  }

  deleteAlias(name: string, alias: string): Promise<AliasDoc> {
    return this.json(
      'DELETE',
      `/api/v1/models/${encodeURIComponent(name)}/aliases/${encodeURIComponent(alias)}`,
    )
  }

  tagModelVersion(ref: string, set: Record<string, string>, remove: string[]): Promise<ModelVersionDoc> {
    return this.json('PATCH', `${versionPath(ref)}/tags`, { json: { set, remove } })
  }

  setModelStatus(ref: string, status: ModelStatus, reason: string | null): Promise<ModelVersionDoc> {
    return this.json('PUT', `${versionPath(ref)}/status`, { json: { status, reason } })
  }

  async modelCard(ref: string): Promise<string> {
    return (await this.request('GET', `${versionPath(ref)}/card`)).text()
  }

  async addDataset(
    name: string,
    file: string,
    options: { format?: DatasetFormat; source?: string } = {},
  ): Promise<DatasetAddDoc> {
    await checkRegular(file, 'file')
    const query = new URLSearchParams({ source: options.source ?? path.basename(file) })
    if (options.format) query.set('format', options.format)
    return this.json('POST', `/api/v1/datasets/${encodeURIComponent(name)}/versions`, {
      body: createReadStream(file),
      query,
    })
  }

  getDatasetVersion(ref: string): Promise<DatasetVersionDoc> {
    const { name, version } = parseDatasetRef(ref)
    return this.json('GET', `/api/v1/datasets/${name}/versions/${version}`)
  }

  listDatasets(): Promise<DatasetListDoc> {
    return this.json('GET', '/api/v1/datasets')
  }

  listDatasetVersions(name: string): Promise<DatasetVersionListDoc> {
    return this.json('GET', `/api/v1/datasets/${encodeURIComponent(name)}/versions`)
  }

  gcArtifacts(options: { apply: boolean; graceMs: number }): Promise<GcReport> {
    return this.json('POST', '/api/v1/artifacts/gc', {
      json: { apply: options.apply, grace_seconds: options.graceMs / 1000 },
    })
  }

  verifyArtifacts(options: { repair?: boolean } = {}): Promise<VerifyReport> {
    return this.json('POST', '/api/v1/artifacts/verify', { json: { repair: Boolean(options.repair) } })
  }

  async close(): Promise<void> {}
}

/** Validates the reference locally (so a bad one never becomes a URL), then builds its path. */
function versionPath(ref: string): string {
  const { name, selector } = parseModelRef(ref)
  const sel =
    selector.kind === 'number'
      ? String(selector.version)
      : selector.kind === 'latest'
        ? 'latest'
        : selector.alias
  return `/api/v1/models/${name}/versions/${sel}`
}

/** Deployments on a running server (`sluice deploy --server URL`): the server loads and checks the model. */
export class HttpDeployments implements Deployments {
  private readonly http: HttpRegistry

  constructor(serverUrl: string) {
    this.http = new HttpRegistry(serverUrl)
  }

  deploy(
    ref: string,
    name: string,
    options: { batching: DeploymentRecord['batching']; force?: boolean },
  ): Promise<DeploymentDoc> {
    return this.http.json('PUT', `/api/v1/deployments/${encodeURIComponent(name)}`, {
      json: { model: ref, batching: options.batching, force: Boolean(options.force) },
    })
  }

  async list(): Promise<DeploymentDoc[]> {
    return (await this.http.json<{ items: DeploymentDoc[] }>('GET', '/api/v1/deployments')).items
  }

  show(name: string, limit: number): Promise<DeploymentDoc & { history: DeploymentEvent[] }> {
    return this.http.json('GET', `/api/v1/deployments/${encodeURIComponent(name)}`, {
      query: new URLSearchParams({ limit: String(limit) }),
    })
  }

  close(): Promise<void> {
    return this.http.close()
  }
}

/** Rollouts on a running server (`sluice rollout … --server URL`); strategy and analysis files are sent as text. */
export class HttpRollouts implements Rollouts {
  private readonly http: HttpRegistry

  constructor(serverUrl: string) {
    this.http = new HttpRegistry(serverUrl)
  }

  private path(deployment: string, rest = ''): string {
    return `/api/v1/deployments/${encodeURIComponent(deployment)}${rest}`
  }

  async start(
    ref: string,
    deployment: string,
    plan: PlanInput,
    options: { force?: boolean } = {},
  ): Promise<RolloutDoc> {
    const text = async (source: YamlSource | undefined) =>
      typeof source === 'string' ? { name: source, text: await readYamlText(source) } : source
    return this.http.json('POST', this.path(deployment, '/rollout'), {
      json: {
        model: ref,
        strategy: plan.strategy,
        steps: plan.steps,
        pause: plan.pause,
        sticky_key: plan.stickyKey,
        strategy_file: await text(plan.strategyFile),
        analysis_file: await text(plan.analysisFile),
        force: Boolean(options.force),
      },
    })
  }

  status(deployment: string): Promise<RolloutDoc> {
    return this.http.json('GET', this.path(deployment, '/rollout'))
  }

  promote(deployment: string, full: boolean): Promise<RolloutDoc> {
    return this.http.json('POST', this.path(deployment, '/rollout/promote'), { json: { full } })
  }

  abort(deployment: string, reason: string): Promise<RolloutDoc> {
    return this.http.json('POST', this.path(deployment, '/rollout/abort'), { json: { reason } })
  }

  history(deployment: string, limit: number): Promise<RolloutHistoryDoc> {
    return this.http.json('GET', this.path(deployment, '/rollout/history'), {
      query: new URLSearchParams({ limit: String(limit) }),
    })
  }

  rollback(deployment: string): Promise<RollbackDoc> {
    return this.http.json('POST', this.path(deployment, '/rollback'))
  }

  close(): Promise<void> {
    return this.http.close()
  }
}

/** API tokens on a running server (`sluice tokens … --server URL`): needs an admin token in SLUICE_TOKEN. */
export class HttpTokens implements Tokens {
  private readonly http: HttpRegistry

  constructor(serverUrl: string) {
    this.http = new HttpRegistry(serverUrl)
  }

  create(input: NewToken): Promise<CreatedTokenDoc> {
    return this.http.json('POST', '/api/v1/tokens', {
      json: { name: input.name, scope: input.scope, expires: input.expires ?? null },
    })
  }

  list(): Promise<TokenListDoc> {
    return this.http.json('GET', '/api/v1/tokens')
  }

  revoke(name: string): Promise<TokenDoc> {
    return this.http.json('DELETE', `/api/v1/tokens/${encodeURIComponent(name)}`)
  }

  close(): Promise<void> {
    return this.http.close()
  }
}

async function readYamlText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (e) {
    throw new SluiceError('UNREADABLE_FILE', `cannot read ${file}: ${(e as Error).message}`)
  }
}
