/**
 * Domain types shared by every module. The JSON documents sluice prints are built from these and
 * carry a `schema` field (`sluice.<kind>/v1`); each schema is described in docs/schemas/.
 */
import type { CodeRevision, EnvironmentFingerprint } from './environment.js'
import type { Digest } from './hash.js'

export const MODEL_STATUSES = ['candidate', 'production', 'archived', 'rejected'] as const
export type ModelStatus = (typeof MODEL_STATUSES)[number]

/** How a column is treated by drift tests and trainers (Evidently's column types). */
export type ColumnType = 'numerical' | 'categorical' | 'text' | 'datetime'
/** How a column's values are stored. */
export type PhysicalType = 'float' | 'int' | 'bool' | 'string' | 'datetime'

export interface ColumnSchema {
  name: string
  type: ColumnType
  dtype: PhysicalType
  /** Number of missing values in the column. */
  missing: number
}

/** Tensor datatypes of the Open Inference Protocol v2. */
export const TENSOR_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const

export type TensorDatatype = (typeof TENSOR_DATATYPES)[number]

export interface TensorSpec {
  name: string
  datatype: TensorDatatype
  /** -1 marks a dynamic dimension (batch size). */
  shape: number[]
}

export interface Signature {
  inputs: TensorSpec[]
  outputs: TensorSpec[]
}

export type ArtifactKind = 'file' | 'dir'

export interface ArtifactRef {
  digest: Digest
  size: number
  kind: ArtifactKind
}

export interface DatasetRef {
  name: string
  version: number
  digest: Digest
  /** What the model did with it. */
  role: 'train' | 'eval'
}

export interface Lineage {
  datasets: DatasetRef[]
  run_id: string | null
  code: CodeRevision | null
  environment: EnvironmentFingerprint | null
  parent_version: number | null
}

export interface ModelVersionDoc {
  schema: 'sluice.model-version/v1'
  name: string
  version: number
  status: ModelStatus
  status_reason: string | null
  aliases: string[]
  artifact: ArtifactRef
  flavor: string
  signature: Signature | null
  metrics: Record<string, number>
  params: Record<string, string>
  tags: Record<string, string>
  description: string | null
  lineage: Lineage
  created_at: string
  updated_at: string
}

export const DATASET_FORMATS = ['csv', 'jsonl', 'parquet'] as const
export type DatasetFormat = (typeof DATASET_FORMATS)[number]

export interface DatasetVersionDoc {
  schema: 'sluice.dataset-version/v1'
  name: string
  version: number
  digest: Digest
  size: number
  format: DatasetFormat
  rows: number
  columns: ColumnSchema[]
  /** The file name it was added from (for display; the content is what counts). */
  source: string
  created_at: string
}
