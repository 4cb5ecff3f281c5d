import type { Scope } from '../core/actor.js'
import type { CodeRevision, EnvironmentFingerprint } from '../core/environment.js'
import type { Digest } from '../core/hash.js'
import type { ProcessId } from '../core/processes.js'
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
import type { AliasMove, Rejection } from './rejections.js'

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
  /**
   * Points `alias` at `version` (replacing where it pointed before); returns the previous version.
   * A rejected version gets an alias only with `force` (CONFLICT saying why otherwise).
   */
  setAlias(
    name: string,
    alias: string,
    version: number,
    options?: { force?: boolean },
  ): Promise<{ previous: number | null }>
  /** Returns the version the alias pointed at, or null when there was no such alias. */
  deleteAlias(name: string, alias: string): Promise<number | null>
  setTags(name: string, version: number, set: Record<string, string>, remove: string[]): Promise<void>
  /**
   * `archived` is refused (CONFLICT naming them) while a deployment serves the version or a
   * running rollout routes to it. Rejecting goes through `rejectVersions`, which moves aliases.
   */
  setStatus(name: string, version: number, status: ModelStatus, reason: string | null): Promise<void>
  /**
   * Marks versions rejected and, in the same transaction, moves every alias that named one of them
   * (`aliasMoves`); with `log`, writes its decisions and one `alias` entry per move to the
   * deployment's decision log, also in that transaction. Returns the moves.
   */
  rejectVersions(rejection: Rejection, log?: DecisionLogEntry): Promise<AliasMove[]>
  searchModelVersions(filter: VersionFilter, page: PageRequest): Promise<Page<ModelVersionRecord>>

  /** Adds a dataset version, or returns the existing one with the same digest (`created: false`). */
  addDatasetVersion(input: NewDatasetVersion): Promise<{ record: DatasetVersionRecord; created: boolean }>
  getDatasetVersion(name: string, version: number | 'latest'): Promise<DatasetVersionRecord | null>
  findDatasetVersion(name: string, digest: Digest): Promise<DatasetVersionRecord | null>
  listDatasets(): Promise<DatasetSummary[]>
  listDatasetVersions(name: string): Promise<DatasetVersionRecord[]>

  /** Every blob something points at (model artifacts, datasets, later pipeline caches), once each. */
  blobReferences(): Promise<{ digest: string; kind: ArtifactKind }[]>

  /** Pipeline runs, the stage cache and file digests. */
  readonly pipeline: PipelineStore

  /** Deployments: which model version answers each deployment name. */
  readonly deployments: DeploymentStore

  /** Progressive rollouts of deployments, and their decision log. */
  readonly rollouts: RolloutStore

  /** API tokens (hashes of their secrets, never the secrets). */
  readonly tokens: TokenStore

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
  /** Keep this number (a copy from another registry, e.g. a serving pod's); null takes the next free one. */
  version?: number | null
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

/** A file's digest, valid while the file keeps the size, modification time and inode it was hashed with. */
export interface FileHashRecord {
  path: string
  size: number
  /** Nanoseconds since the epoch, as a decimal string (beyond a double's precision). */
  mtime_ns: string
  inode: string
  digest: Digest
}

/** What a stage produced for one cache key: enough to restore its outs without running it. */
export interface StageCacheRecord {
  key: string
  stage: string
  outs: Record<string, ArtifactRef>
  metrics: Record<string, unknown>
  log: Digest | null
  run_id: string
  created_at: string
}

/** `crashed`: the process running it died (kill -9, power loss) before it could record an end. */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'crashed'
export type StageStatus = 'pending' | 'running' | 'ran' | 'cached' | 'failed' | 'skipped'

export interface StageRecord {
  name: string
  /** The shell command, or the sluice command line of a built-in stage. */
  command: string
  status: StageStatus
  started_at: string | null
  duration_s: number | null
  /** Cache key: hash of command, deps, params, environment variables and fingerprint. */
  key: string | null
  /** Digest of every dep; folders as the digest of their manifest. */
  deps: Record<string, ArtifactRef>
  params: Record<string, unknown>
  env: Record<string, string | null>
  /** Node and Python versions and lockfile hashes the key was computed with. */
  fingerprint: Record<string, unknown>
  /** A gate's registered baseline as resolved for the key: `{ref, against, candidate}` (gates with `against` only). */
  baseline?: { ref: string; against: string; candidate: string | null }
  outs: Record<string, ArtifactRef>
  metrics: Record<string, unknown>
  log: Digest | null
  exit_code: number | null
  error: string | null
}

export interface RunRecord {
  id: string
  status: RunStatus
  started_at: string
  finished_at: string | null
  /** Stages asked for on the command line (empty: all). */
  targets: string[]
  force: boolean
  code: CodeRevision | null
  environment: EnvironmentFingerprint
  /** The pipeline as it ran: its stages, the params file and the gate rules, for `reproduce`. */
  pipeline: { root: string; stages: unknown; params: unknown; gates: unknown }
  stages: StageRecord[]
  error: string | null
  /** The process running it (absent from runs recorded before it was kept): a reader that finds it gone marks the run crashed. */
  holder?: ProcessId
}

/** Pipeline state: file digests, the stage cache and run records. Part of every Store. */
export interface PipelineStore {
  fileHashes(paths: string[]): Promise<Map<string, FileHashRecord>>
  saveFileHashes(records: FileHashRecord[]): Promise<void>
  stageCache(key: string): Promise<StageCacheRecord | null>
  saveStageCache(record: StageCacheRecord): Promise<void>
  /** Inserts or replaces a run with its stages (called as the run progresses). */
  saveRun(run: RunRecord): Promise<void>
  getRun(id: string): Promise<RunRecord | null>
  /** Newest first; `before` is the id of the last run of the previous page. */
  listRuns(limit: number, before?: string): Promise<RunRecord[]>
  /** Every run recorded as running (in progress, or its process died before recording an end). */
  runningRuns(): Promise<RunRecord[]>
  /** The newest record of a stage that ran or was restored from the cache. */
  lastCompletedStage(name: string): Promise<{ run_id: string; stage: StageRecord } | null>
}

export interface DeploymentRecord {
  name: string
  model: string
  version: number
  /** The alias the version was resolved from when deployed (e.g. champion), or null. */
  alias: string | null
  /** Micro-batching (off when null): rows per model call, and the longest a request waits for others. */
  batching: { max_rows: number; max_wait_ms: number } | null
  /** How traffic is split while a rollout runs; null sends every request to `version`. */
  routing: Routing | null
  /** Grows by one with every change; servers compare it to notice changes. */
  revision: number
  created_at: string
  updated_at: string
}

export interface DeploymentEvent {
  deployment: string
  model: string
  version: number
  alias: string | null
  previous_version: number | null
  at: string
}

/** Decisions written to a deployment's decision log under one id (a rollout's, or a rollback's). */
export interface DecisionLogEntry {
  rollout: string
  deployment: string
  at: string
  decisions: Omit<RolloutDecision, 'rollout' | 'deployment'>[]
}

/** Deployments, their history, and a cheap way for servers to notice changes. */
export interface DeploymentStore {
  /**
   * Points a deployment at a version (creating it), records the change; returns the new record.
   * A rejected version only with `force` (CONFLICT saying why otherwise).
   */
  setDeployment(input: {
    name: string
    model: string
    version: number
    alias: string | null
    batching: DeploymentRecord['batching']
    at: string
    force?: boolean
  }): Promise<DeploymentRecord>
  getDeployment(name: string): Promise<DeploymentRecord | null>
  listDeployments(): Promise<DeploymentRecord[]>
  history(name: string, limit: number): Promise<DeploymentEvent[]>
}

/** One version a deployment's traffic goes to while a rollout runs. */
export interface RoutingArm {
  model: string
  version: number
  /** Percent of requests (0–100); for a shadow, the share of requests copied to it. */
  weight: number
  /** `stable` answers what no other arm takes; a `shadow` never answers. */
  role: 'stable' | 'canary' | 'shadow' | 'arm'
  /**
   * Where the arm's share of sticky buckets starts (percent): fixed for the rollout, so entities
   * keep their arm when another arm leaves or a weight grows. Absent for the stable and a shadow.
   */
  from?: number
}

export interface Routing {
  /** The rollout's id: salts the sticky hash, so each rollout splits entities afresh. */
  rollout: string
  /** Request field, or `header:NAME`, that keeps an entity on one arm; null splits by weight alone. */
  sticky_key: string | null
  arms: RoutingArm[]
}

export type RolloutPhase = 'progressing' | 'paused' | 'promoted' | 'aborted'

export interface RolloutRecord {
  id: string
  deployment: string
  strategy: string
  phase: RolloutPhase
  /** The plan (the rollout module's RolloutSpec), as JSON. */
  spec: Record<string, unknown>
  /** The state machine's state, as JSON. */
  state: Record<string, unknown>
  /** Grows by one with every change: writers compare it so two processes cannot both move a rollout. */
  revision: number
  created_at: string
  updated_at: string
}

export interface RolloutDecision {
  rollout: string
  deployment: string
  at: string
  /** `start`, `step`, `measurement`, `promote`, `abort`, `arm`, … */
  kind: string
  message: string
  detail: Record<string, unknown>
}

export interface RolloutChange {
  id: string
  /** The revision the writer read; the change is refused (null) if another process moved first. */
  revision: number
  phase: RolloutPhase
  state: Record<string, unknown>
  routing: Routing | null
  /** Points the deployment at another version (a promotion or a rollback). */
  version?: { model: string; version: number; alias: string | null }
  /** Versions the move rejects: marked, their aliases moved and the moves logged, in the same transaction. */
  reject?: Rejection
  decisions: Omit<RolloutDecision, 'rollout' | 'deployment'>[]
  at: string
}

/**
 * Rollouts change a deployment's routing and their own state in one transaction, so a deployment
 * is never left half-routed. At most one rollout runs per deployment.
 */
export interface RolloutStore {
  /** Records a new rollout and routes the deployment; CONFLICT when one is already running. */
  startRollout(input: {
    record: Omit<RolloutRecord, 'revision' | 'updated_at'>
    routing: Routing
    decisions: Omit<RolloutDecision, 'rollout' | 'deployment'>[]
  }): Promise<RolloutRecord>
  /** Applies a change; null when the revision moved on (read again and retry). `aliases`: what `reject` moved. */
  updateRollout(change: RolloutChange): Promise<{ record: RolloutRecord; aliases: AliasMove[] } | null>
  getRollout(id: string): Promise<RolloutRecord | null>
  /** The newest rollout of a deployment (running or ended), or null. */
  latestRollout(deployment: string): Promise<RolloutRecord | null>
  activeRollouts(): Promise<RolloutRecord[]>
  /** Newest first. */
  decisions(
    deployment: string,
    options: { rollout?: string; limit: number },
  ): Promise<(RolloutDecision & { id: number })[]>
}

/** An API token as stored: the hash of its secret, never the secret. */
export interface TokenRecord {
  /** `slc_` and the secret's first 8 characters: not secret, unique, what a request is looked up by. */
  token_id: string
  name: string
  scope: Scope
  /** SHA-256 of the whole secret, hex. */
  hash: string
  /** Who created it (`actorName`: `local:USER`, `token:NAME`, `anonymous`). */
  created_by: string
  created_at: string
  expires_at: string | null
  /** Recorded at most about once a minute per token. */
  last_used_at: string | null
  revoked_at: string | null
}

/**
 * API tokens. Two rules hold in every process, checked in the writing transaction: while no admin
 * token can be used (none yet, or all expired or revoked), the next token created must be admin;
 * and the last usable admin token cannot be revoked. Names are unique among tokens not revoked.
 */
export interface TokenStore {
  createToken(input: Omit<TokenRecord, 'last_used_at' | 'revoked_at'>): Promise<TokenRecord>
  /** Every token, revoked ones included, oldest first. */
  listTokens(): Promise<TokenRecord[]>
  /** Revokes the live token of that name (NOT_FOUND when none; CONFLICT for the last usable admin). */
  revokeToken(name: string, at: string): Promise<TokenRecord>
  /**
   * Changes whenever a token is created or revoked (rows are never deleted, so the number of
   * tokens and of revoked ones only grow): what servers poll to notice changes made elsewhere.
   */
  tokensVersion(): Promise<string>
  /** Records a token's last use. */
  touchToken(tokenId: string, at: string): Promise<void>
}
