import type { Generated } from 'kysely'

/**
 * Tables of the metadata store. JSON values are stored as text so the same schema runs on SQLite
 * and PostgreSQL; timestamps are UTC ISO-8601 strings, which sort correctly as text.
 */
export interface Database {
  models: {
    id: Generated<number>
    name: string
    description: string | null
    /** The number the next registered version gets; incremented inside the registering transaction. */
    next_version: number
    created_at: string
    updated_at: string
  }
  model_versions: {
    id: Generated<number>
    model_id: number
    version: number
    status: string
    status_reason: string | null
    artifact_digest: string
    artifact_size: number
    artifact_kind: string
    flavor: string
    signature: string | null
    params: string
    description: string | null
    run_id: string | null
    code_commit: string | null
    code_dirty: number | null
    environment: string | null
    parent_version: number | null
    created_at: string
    updated_at: string
  }
  version_metrics: { version_id: number; key: string; value: number }
  version_tags: { version_id: number; key: string; value: string }
  model_aliases: { model_id: number; alias: string; version_id: number; updated_at: string }
  version_datasets: { version_id: number; dataset_version_id: number; role: string }
  datasets: {
    id: Generated<number>
    name: string
    next_version: number
    created_at: string
  }
  dataset_versions: {
    id: Generated<number>
    dataset_id: number
    version: number
    digest: string
    size: number
    format: string
    rows: number
    columns: string
    source: string
    created_at: string
  }
  /** Which stored blobs something points at; artifact garbage collection keeps exactly these. */
  blob_refs: { digest: string; kind: string; owner: string }
  /** Pipeline: file digests by path, valid while size, mtime and inode are unchanged. */
  file_hashes: { path: string; size: number; mtime_ns: string; inode: string; digest: string }
  /** Pipeline: what a stage produced for a cache key (outs and metrics as JSON). */
  stage_cache: {
    key: string
    stage: string
    outs: string
    metrics: string
    log: string | null
    run_id: string
    created_at: string
  }
  /** Pipeline runs; `record` is the whole RunRecord as JSON, stages included. */
  runs: { id: string; status: string; started_at: string; record: string }
  /** One row per stage of a run, so the newest record of a stage is one indexed lookup. */
  run_stages: { run_id: string; name: string; status: string; record: string }
  /** Which model version answers each deployment; `revision` grows with every change. */
  deployments: {
    name: string
    model: string
    version: number
    alias: string | null
    batch_max_rows: number | null
    batch_max_wait_ms: number | null
    /** JSON of the traffic split while a rollout runs; null sends everything to `version`. */
    routing: string | null
    revision: number
    created_at: string
    updated_at: string
  }
  /** Every change of a deployment, oldest first. */
  deployment_events: {
    id: Generated<number>
    deployment: string
    model: string
    version: number
    alias: string | null
    previous_version: number | null
    at: string
  }
  /** Progressive rollouts; `active` holds the deployment's name while one runs (unique). */
  rollouts: {
    id: string
    deployment: string
    active: string | null
    strategy: string
    phase: string
    spec: string
    state: string
    revision: number
    created_at: string
    updated_at: string
  }
  /** Every step, measurement and decision of every rollout, oldest first. */
  rollout_decisions: {
    id: Generated<number>
    rollout: string
    deployment: string
    at: string
    kind: string
    message: string
    detail: string
  }
  /** API tokens: only a SHA-256 hash of each secret is stored. */
  api_tokens: {
    id: Generated<number>
    token_id: string
    name: string
    scope: string
    hash: string
    created_by: string
    created_at: string
    expires_at: string | null
    last_used_at: string | null
    revoked_at: string | null
  }
}
