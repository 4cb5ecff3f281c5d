import type { GcReport, VerifyReport } from '../artifacts/types.js'
import type { Digest } from '../core/hash.js'
import type {
  ArtifactKind,
  ArtifactRef,
  DatasetFormat,
  DatasetVersionDoc,
  ModelStatus,
  ModelVersionDoc,
} from '../core/types.js'
import type { NewModelVersion } from '../store/types.js'

/**
 * What the CLI (and any client) can ask of sluice's registry. Two implementations: `LocalRegistry`
 * works on the home's store and artifact folder directly; the API's `HttpRegistry` sends the same
 * calls to a running server. Paths are local files of the caller; the HTTP client uploads them.
 */
export interface Registry {
  /** Stores a file, or a folder as a manifest of its files. */
  storeArtifact(path: string): Promise<ArtifactRef>
  /** Writes a stored artifact to `dest`, which must not exist; verified before it appears. */
  fetchArtifact(artifact: Pick<ArtifactRef, 'digest' | 'kind'>, dest: string): Promise<void>

  registerModelVersion(input: RegisterInput): Promise<ModelVersionDoc>
  getModelVersion(ref: string): Promise<ModelVersionDoc>
  searchModelVersions(query: SearchQuery): Promise<ModelVersionListDoc>
  /** A rejected version gets an alias only with `force` (CONFLICT saying why otherwise). */
  setAlias(name: string, alias: string, version: number, options?: { force?: boolean }): Promise<AliasDoc>
  deleteAlias(name: string, alias: string): Promise<AliasDoc>
  tagModelVersion(ref: string, set: Record<string, string>, remove: string[]): Promise<ModelVersionDoc>
  /**
   * `archived` and `rejected` are refused while the version holds an alias, answers a deployment or
   * gets traffic from a rollout (a rollback rejects and moves them in one step, see rollout/service.ts).
   */
  setModelStatus(ref: string, status: ModelStatus, reason: string | null): Promise<ModelVersionDoc>
  modelCard(ref: string): Promise<string>

  /** Adds a data file as a dataset version; identical content returns the existing version. */
  addDataset(
    name: string,
    file: string,
    options?: { format?: DatasetFormat; source?: string },
  ): Promise<DatasetAddDoc>
  getDatasetVersion(ref: string): Promise<DatasetVersionDoc>
  listDatasets(): Promise<DatasetListDoc>
  listDatasetVersions(name: string): Promise<DatasetVersionListDoc>

  gcArtifacts(options: { apply: boolean; graceMs: number }): Promise<GcReport>
  /** With `repair`, damaged serving copies are replaced from the artifact store. */
  verifyArtifacts(options?: { repair?: boolean }): Promise<VerifyReport>

  close(): Promise<void>
}

export interface RegisterInput {
  name: string
  artifact: { digest: Digest; kind: ArtifactKind }
  flavor: string
  signature?: NewModelVersion['signature']
  metrics?: Record<string, number>
  params?: NewModelVersion['params']
  tags?: Record<string, string>
  description?: string | null
  /** `NAME@VERSION` references, by role. */
  datasets?: { ref: string; role: 'train' | 'eval' }[]
  run_id?: string | null
  code?: NewModelVersion['code']
  environment?: NewModelVersion['environment']
  parent_version?: number | null
  /** Keep this version number (copying a version from another registry); default: the next free one. */
  version?: number
}

export interface SearchQuery {
  name?: string
  prefix?: string
  alias?: string
  tags?: Record<string, string>
  statuses?: ModelStatus[]
  /** Metric conditions, e.g. `accuracy>0.8 and log_loss<0.5`. */
  where?: string
  limit?: number
  page_token?: string
}

export interface ModelVersionListDoc {
  schema: 'sluice.model-version-list/v1'
  items: ModelVersionDoc[]
  next_page_token: string | null
}

export interface AliasDoc {
  schema: 'sluice.alias/v1'
  name: string
  alias: string
  version: number | null
  previous_version: number | null
}

export interface DatasetAddDoc extends Omit<DatasetVersionDoc, 'schema'> {
  schema: 'sluice.dataset-add/v1'
  created: boolean
}

export interface DatasetListDoc {
  schema: 'sluice.dataset-list/v1'
  items: {
    name: string
    versions: number
    latest: Omit<DatasetVersionDoc, 'schema'> | null
    created_at: string
  }[]
}

export interface DatasetVersionListDoc {
  schema: 'sluice.dataset-version-list/v1'
  name: string
  items: Omit<DatasetVersionDoc, 'schema'>[]
}

export const DEFAULT_PAGE_SIZE = 100
export const MAX_PAGE_SIZE = 1000
