import { createReadStream } from 'node:fs'
import path from 'node:path'
import { verifyCopies } from '../artifacts/copies.js'
import { expandReferences, readManifest } from '../artifacts/manifest.js'
import { openArtifactStore } from '../artifacts/open.js'
import { getToPath, localSink, putPath } from '../artifacts/transfer.js'
import type { ArtifactStore, GcReport, VerifyReport } from '../artifacts/types.js'
import { type Clock, isoNow, systemClock } from '../core/clock.js'
import type { ResolvedConfig } from '../core/config.js'
import { isSluiceError, SluiceError } from '../core/errors.js'
import { type Digest, sha256File } from '../core/hash.js'
import { homeFolders } from '../core/home.js'
import { sweepSpool } from '../core/spool.js'
import {
  type ArtifactRef,
  type DatasetFormat,
  type DatasetVersionDoc,
  MODEL_STATUSES,
  type ModelStatus,
  type ModelVersionDoc,
} from '../core/types.js'
import { inferSchema } from '../data/infer.js'
import { loadFrame } from '../data/load.js'
import { openStore } from '../store/open.js'
import type { DatasetVersionRecord, ModelVersionRecord, Store } from '../store/types.js'
import { renderModelCard } from './card.js'
import { checkKey, checkName } from './names.js'
import { formatRef, parseDatasetRef, parseModelRef } from './refs.js'
import {
  type AliasDoc,
  type DatasetAddDoc,
  type DatasetListDoc,
  type DatasetVersionListDoc,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type ModelVersionListDoc,
  type RegisterInput,
  type Registry,
  type SearchQuery,
} from './types.js'
import { parseWhere } from './where.js'

export const FLAVORS = ['onnx'] as const
const MAX_TAG_VALUE = 5000

/**
 * The registry working directly on a metadata store and an artifact store — and, when it knows
 * the home, on the home's other folders: the server's serving copies (`verifyArtifacts` checks
 * them) and its upload spool (`gcArtifacts` clears what crashed servers left there).
 */
export class LocalRegistry implements Registry {
  private readonly clock: Clock
  private readonly folders: ReturnType<typeof homeFolders> | null

  constructor(
    readonly store: Store,
    readonly artifacts: ArtifactStore,
    options: { clock?: Clock; home?: string } = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.folders = options.home === undefined ? null : homeFolders(options.home)
  }

  static async open(config: Pick<ResolvedConfig, 'store' | 'artifacts' | 'home'>): Promise<LocalRegistry> {
    return new LocalRegistry(await openStore(config), openArtifactStore(config), { home: config.home })
  }

  storeArtifact(source: string): Promise<ArtifactRef> {
    return putPath(localSink(this.artifacts), source)
  }

  fetchArtifact(artifact: Pick<ArtifactRef, 'digest' | 'kind'>, dest: string): Promise<void> {
    return getToPath(this.artifacts, artifact, dest)
  }

  async registerModelVersion(input: RegisterInput): Promise<ModelVersionDoc> {
    const name = checkName('model', input.name)
    if (!(FLAVORS as readonly string[]).includes(input.flavor)) {
      throw new SluiceError(
        'INVALID_INPUT',
        `unknown flavor "${input.flavor}"; supported flavors: ${FLAVORS.join(', ')}`,
      )
    }
    const artifact = await this.checkArtifact(input.artifact)
    const metrics = input.metrics ?? {}
    for (const [k, v] of Object.entries(metrics)) {
      checkKey('metric', k)
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new SluiceError(
          'INVALID_INPUT',
          `metric ${k} must be a finite number, got ${JSON.stringify(v)}`,
        )
      }
    }
    for (const k of Object.keys(input.params ?? {})) checkKey('param', k)
    this.checkTags(input.tags ?? {})
    const datasets = []
    for (const d of input.datasets ?? []) {
      const ds = await this.datasetVersion(d.ref)
      datasets.push({ name: ds.name, version: ds.version, role: d.role })
    }
    const parent = input.parent_version ?? null
    if (parent !== null && (!Number.isSafeInteger(parent) || parent < 1)) {
      throw new SluiceError(
        'INVALID_INPUT',
        `parent version must be a version number (1, 2, …), got ${parent}`,
      )
    }
    if (input.version !== undefined && (!Number.isSafeInteger(input.version) || input.version < 1))
      throw new SluiceError(
        'INVALID_INPUT',
        `version must be a version number (1, 2, …), got ${input.version}`,
      )
    const record = await this.store.createModelVersion({
      name,
      artifact,
      flavor: input.flavor,
      signature: input.signature ?? null,
      metrics,
      params: input.params ?? {},
      tags: input.tags ?? {},
      description: input.description ?? null,
      datasets,
      run_id: input.run_id ?? null,
      code: input.code ?? null,
      environment: input.environment ?? null,
      parent_version: parent,
      version: input.version ?? null,
      created_at: isoNow(this.clock),
    })
    return versionDoc(record)
  }

  /** The artifact must be stored (a folder's manifest and every file in it); returns its size. */
  private async checkArtifact(a: RegisterInput['artifact']): Promise<ArtifactRef> {
    const s = await this.artifacts.stat(a.digest)
    if (!s) {
      throw new SluiceError(
        'ARTIFACT_MISSING',
        `artifact ${a.digest} is not stored; upload it first (POST /api/v1/artifacts)`,
      )
    }
    if (a.kind === 'file') return { digest: a.digest, size: s.size, kind: 'file' }
    let size = 0
    for (const f of (await readManifest(this.artifacts, a.digest)).files) {
      if (!(await this.artifacts.stat(f.digest))) {
        throw new SluiceError(
          'ARTIFACT_MISSING',
          `file "${f.path}" (${f.digest}) of folder ${a.digest} is not stored; upload it first`,
        )
      }
      size += f.size
    }
    return { digest: a.digest, size, kind: 'dir' }
  }

  private checkTags(tags: Record<string, string>): void {
    for (const [k, v] of Object.entries(tags)) {
      checkKey('tag', k)
      if (typeof v !== 'string' || v.length > MAX_TAG_VALUE) {
        throw new SluiceError(
          'INVALID_INPUT',
          `tag ${k} must be a string of at most ${MAX_TAG_VALUE} characters`,
        )
      }
    }
  }

  /** Resolves `NAME@REF` to a version number, with an error that says which part was not found. */
  private async resolve(ref: string): Promise<{ name: string; version: number }> {
    const { name, selector } = parseModelRef(ref)
    let version: number | null
    switch (selector.kind) {
      case 'number':
        version = (await this.store.getModelVersion(name, selector.version)) ? selector.version : null
        break
      case 'latest':
        version = await this.store.latestVersion(name)
        break
      case 'alias':
        version = await this.store.resolveAlias(name, selector.alias)
        break
    }
    if (version !== null) return { name, version }
    if (!(await this.store.modelExists(name))) {
      throw new SluiceError(
        'NOT_FOUND',
        `model "${name}" not found; register it with \`sluice models register ${name} --artifact FILE --flavor onnx\``,
      )
    }
    const what =
      selector.kind === 'number'
        ? `version ${selector.version}`
        : selector.kind === 'latest'
          ? 'a version that is not archived or rejected'
          : `alias "${selector.alias}"`
    throw new SluiceError(
      'NOT_FOUND',
      `model "${name}" has no ${what}; list its versions with \`sluice models list --name ${name}\``,
    )
  }

  async getModelVersion(ref: string): Promise<ModelVersionDoc> {
    const { name, version } = await this.resolve(ref)
    const record = await this.store.getModelVersion(name, version)
    if (!record) throw new SluiceError('NOT_FOUND', `model version ${formatRef(name, version)} not found`)
    return versionDoc(record)
  }

  async searchModelVersions(query: SearchQuery): Promise<ModelVersionListDoc> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new SluiceError(
        'INVALID_INPUT',
        `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${limit}`,
      )
    }
    if (query.name !== undefined) checkName('model', query.name)
    if (query.alias !== undefined) checkName('alias', query.alias)
    for (const k of Object.keys(query.tags ?? {})) checkKey('tag', k)
    for (const s of query.statuses ?? []) checkStatus(s)
    const page = await this.store.searchModelVersions(
      {
        ...(query.name !== undefined && { name: query.name }),
        ...(query.prefix !== undefined && { namePrefix: query.prefix }),
        ...(query.alias !== undefined && { alias: query.alias }),
        ...(query.tags && { tags: query.tags }),
        ...(query.statuses && { statuses: query.statuses }),
        ...(query.where !== undefined && { metrics: parseWhere(query.where) }),
      },
      { limit, ...(query.page_token !== undefined && { after: query.page_token }) },
    )
    return {
      schema: 'sluice.model-version-list/v1',
      items: page.items.map(versionDoc),
      next_page_token: page.next,
    }
  }

  async setAlias(
    name: string,
    alias: string,
    version: number,
    options: { force?: boolean } = {},
  ): Promise<AliasDoc> {
    checkName('model', name)
    checkName('alias', alias)
    await this.resolve(formatRef(name, version))
    const { previous } = await this.store.setAlias(name, alias, version, options)
    return { schema: 'sluice.alias/v1', name, alias, version, previous_version: previous }
  }

  async deleteAlias(name: string, alias: string): Promise<AliasDoc> {
    checkName('model', name)
    checkName('alias', alias)
    const previous = await this.store.deleteAlias(name, alias)
    if (previous === null) await this.resolve(`${name}@${alias}`) // throws the precise not-found error
    return { schema: 'sluice.alias/v1', name, alias, version: null, previous_version: previous }
  }

  async tagModelVersion(
    ref: string,
    set: Record<string, string>,
    remove: string[],
  ): Promise<ModelVersionDoc> {
    const { name, version } = await this.resolve(ref)
    this.checkTags(set)
    for (const k of remove) checkKey('tag', k)
    await this.store.setTags(name, version, set, remove)
    return this.getModelVersion(formatRef(name, version))
  }

  async setModelStatus(ref: string, status: ModelStatus, reason: string | null): Promise<ModelVersionDoc> {
    checkStatus(status)
    const current = await this.getModelVersion(ref)
    if (status === 'rejected' && !reason) {
      throw new SluiceError('INVALID_INPUT', 'a rejected version needs a reason; pass --reason TEXT')
    }
    await this.store.setStatus(current.name, current.version, status, reason)
    return this.getModelVersion(formatRef(current.name, current.version))
  }

  async modelCard(ref: string): Promise<string> {
    const v = await this.getModelVersion(ref)
    const datasets = new Map<string, DatasetVersionDoc>()
    for (const d of v.lineage.datasets) {
      const ds = await this.store.getDatasetVersion(d.name, d.version)
      if (ds) datasets.set(`${d.name}@${d.version}`, datasetDoc(ds))
    }
    return renderModelCard(v, datasets)
  }

  async addDataset(
    name: string,
    file: string,
    options: { format?: DatasetFormat; source?: string } = {},
  ): Promise<DatasetAddDoc> {
    checkName('dataset', name)
    const { digest, size } = await sha256File(file) // a regular file only (core/regular.ts)
    const existing = await this.store.findDatasetVersion(name, digest)
    if (existing) {
      // The same bytes again: they also repair the stored blob, should it be damaged or gone.
      if (!(await this.blobIntact(digest))) await this.putFile(file, digest)
      return { ...datasetDoc(existing), schema: 'sluice.dataset-add/v1', created: false }
    }

    // Read it fully before storing anything: a file that does not parse leaves no trace.
    const { frame, format } = await loadFrame(file, { format: options.format })
    await this.putFile(file, digest)
    const { record, created } = await this.store.addDatasetVersion({
      name,
      digest,
      size,
      format,
      rows: frame.rows,
      columns: inferSchema(frame),
      source: options.source ?? path.basename(file),
      created_at: isoNow(this.clock),
    })
    return { ...datasetDoc(record), schema: 'sluice.dataset-add/v1', created }
  }

  /** Stores a file whose digest was computed before; it must still have those bytes. */
  private async putFile(file: string, digest: Digest): Promise<void> {
    const stored = await this.artifacts.put(createReadStream(file, { highWaterMark: 1 << 20 }))
    if (stored.digest !== digest) {
      throw new SluiceError(
        'CONFLICT',
        `${file} changed while it was being added; add it again once nothing is writing to it`,
      )
    }
  }

  /** Whether the blob is stored and still hashes to its digest (one read, no write). */
  private async blobIntact(digest: Digest): Promise<boolean> {
    try {
      for await (const _ of await this.artifacts.open(digest)) {
        // reading is the check
      }
      return true
    } catch (e) {
      if (isSluiceError(e, 'ARTIFACT_CORRUPT') || isSluiceError(e, 'ARTIFACT_MISSING')) return false
      throw e
    }
  }

  private async datasetVersion(ref: string): Promise<DatasetVersionRecord> {
    const { name, version } = parseDatasetRef(ref)
    const record = await this.store.getDatasetVersion(name, version)
    if (record) return record
    const known = (await this.store.listDatasetVersions(name)).length > 0
    throw new SluiceError(
      'NOT_FOUND',
      known
        ? `dataset "${name}" has no version ${version}; list its versions with \`sluice data show ${name}\``
        : `dataset "${name}" not found; add it with \`sluice data add FILE --name ${name}\``,
    )
  }

  async getDatasetVersion(ref: string): Promise<DatasetVersionDoc> {
    return datasetDoc(await this.datasetVersion(ref))
  }

  async listDatasets(): Promise<DatasetListDoc> {
    const items = (await this.store.listDatasets()).map((d) => ({
      ...d,
      latest: d.latest ? withoutSchema(datasetDoc(d.latest)) : null,
    }))
    return { schema: 'sluice.dataset-list/v1', items }
  }

  async listDatasetVersions(name: string): Promise<DatasetVersionListDoc> {
    checkName('dataset', name)
    const items = await this.store.listDatasetVersions(name)
    if (items.length === 0) await this.datasetVersion(name) // throws not found
    return {
      schema: 'sluice.dataset-version-list/v1',
      name,
      items: items.map((r) => withoutSchema(datasetDoc(r))),
    }
  }

  async gcArtifacts(options: { apply: boolean; graceMs: number }): Promise<GcReport> {
    const { digests, unreadable } = await expandReferences(this.artifacts, await this.store.blobReferences())
    if (unreadable.length) {
      throw new SluiceError(
        'ARTIFACT_CORRUPT',
        `cannot collect garbage safely: folder manifest ${unreadable[0]!.digest} is unreadable (${unreadable[0]!.reason}); run \`sluice artifacts verify\``,
      )
    }
    const report = await this.artifacts.gc(digests, options)
    if (this.folders) {
      report.spool_files = sweepSpool(this.folders.spool, options.apply)
      report.bytes += report.spool_files.reduce((n, f) => n + f.size, 0)
    }
    return report
  }

  async verifyArtifacts(options: { repair?: boolean } = {}): Promise<VerifyReport> {
    const { digests, unreadable } = await expandReferences(this.artifacts, await this.store.blobReferences())
    const report = await this.artifacts.verify(digests)
    for (const u of unreadable) {
      if (!report.corrupt.some((c) => c.digest === u.digest)) report.corrupt.push(u)
    }
    if (this.folders)
      report.serving_copies = await verifyCopies(
        this.folders.serving,
        this.artifacts,
        Boolean(options.repair),
      )
    report.ok =
      report.corrupt.length === 0 &&
      report.missing.length === 0 &&
      report.serving_copies.corrupt.every((c) => c.repaired)
    return report
  }

  close(): Promise<void> {
    return this.store.close()
  }
}

function checkStatus(s: string): asserts s is ModelStatus {
  if (!(MODEL_STATUSES as readonly string[]).includes(s)) {
    throw new SluiceError(
      'INVALID_INPUT',
      `unknown status "${s}"; use candidate, production, archived or rejected`,
    )
  }
}

const versionDoc = (r: ModelVersionRecord): ModelVersionDoc => ({ schema: 'sluice.model-version/v1', ...r })

const datasetDoc = (r: DatasetVersionRecord): DatasetVersionDoc => ({
  schema: 'sluice.dataset-version/v1',
  ...r,
})

function withoutSchema<T extends { schema: string }>(doc: T): Omit<T, 'schema'> {
  const { schema: _, ...rest } = doc
  return rest
}
