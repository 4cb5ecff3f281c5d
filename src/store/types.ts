import type { Digest } from '../core/hash.js'
import type {
  ArtifactKind,
  ArtifactRef,
  ColumnSchema,
  DatasetFormat,
  DatasetRef,
  Lineage,
  ModelStatus,
  ModelVersionDoc,
  Signature,
} from '../core/types.js'

/**
 * The metadata store, as services see it. Implementations: `sqlite/` (default) and `postgres/`,
 * sharing one Kysely implementation (`kysely-store.ts`). Every method is one transaction.
 * Names and references arrive validated; the store enforces uniqueness and atomicity.
 */
export interface Store {
  /** Creates the model if needed and gives the new version the next number, atomically. */
  createModelVersion(input: NewModelVersion): Promise<ModelVersionRecord>
  getModelVersion(name: string, version: number): Promise<ModelVersionRecord | null>
  /** The version an alias points at, or null (unknown model or alias). */
  resolveAlias(name: string, alias: string): Promise<number | null>
  /** Newest version whose status is neither archived nor rejected. */
  latestVersion(name: string): Promise<number | null>
  modelExists(name: string): Promise<boolean>
  /** Points `alias` at `version` (replacing where it pointed before); returns the previous version. */
  setAlias(name: string, alias: string, version: number): Promise<{ previous: number | null }>
  /** Returns the version the alias pointed at, or null when there was no such alias. */
  deleteAlias(name: string, alias: string): Promise<number | null>
  setTags(name: string, version: number, set: Record<string, string>, remove: string[]): Promise<void>
  setStatus(name: string, version: number, status: ModelStatus, reason: string | null): Promise<void>
  searchModelVersions(filter: VersionFilter, page: PageRequest): Promise<Page<ModelVersionRecord>>

  /** Adds a dataset version, or returns the existing one with the same digest (`created: false`). */
  addDatasetVersion(input: NewDatasetVersion): Promise<{ record: DatasetVersionRecord; created: boolean }>
  getDatasetVersion(name: string, version: number | 'latest'): Promise<DatasetVersionRecord | null>
  findDatasetVersion(name: string, digest: Digest): Promise<DatasetVersionRecord | null>
  listDatasets(): Promise<DatasetSummary[]>
  listDatasetVersions(name: string): Promise<DatasetVersionRecord[]>

  /** Every blob something points at (model artifacts, datasets, later pipeline caches), once each. */
  blobReferences(): Promise<{ digest: string; kind: ArtifactKind }[]>

  close(): Promise<void>
}

export type ModelVersionRecord = Omit<ModelVersionDoc, 'schema'>

export interface NewModelVersion {
  name: string
  artifact: ArtifactRef
  flavor: string
  signature: Signature | null
  metrics: Record<string, number>
  params: Record<string, string | number | boolean | null>
  tags: Record<string, string>
  description: string | null
  /** Dataset versions by name and number; the store checks that they exist. */
  datasets: Omit<DatasetRef, 'digest'>[]
  run_id: string | null
  code: Lineage['code']
  environment: Lineage['environment']
  parent_version: number | null
  created_at: string
}

export interface DatasetVersionRecord {
  name: string
  version: number
  digest: Digest
  size: number
  format: DatasetFormat
  rows: number
  columns: ColumnSchema[]
  source: string
  created_at: string
}

export interface DatasetSummary {
  name: string
  versions: number
  latest: DatasetVersionRecord | null
  created_at: string
}

export type NewDatasetVersion = Omit<DatasetVersionRecord, 'version'>

export const METRIC_OPS = ['<', '<=', '>', '>=', '=', '!='] as const
export type MetricOp = (typeof METRIC_OPS)[number]

export interface MetricCondition {
  key: string
  op: MetricOp
  value: number
}

export interface VersionFilter {
  name?: string
  namePrefix?: string
  alias?: string
  tags?: Record<string, string>
  statuses?: ModelStatus[]
  metrics?: MetricCondition[]
}

export interface PageRequest {
  limit: number
  /** Opaque cursor from a previous page's `next`. */
  after?: string
}

export interface Page<T> {
  items: T[]
  /** Cursor for the next page, or null on the last page. */
  next: string | null
}
