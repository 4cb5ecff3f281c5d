import { z } from 'zod'
import { SCOPES } from '../core/actor.js'
import type { Digest } from '../core/hash.js'
import { MODEL_STATUSES, TENSOR_DATATYPES } from '../core/types.js'

/**
 * Request bodies of the REST API; also the source of their JSON Schemas in /openapi.json. Every
 * string has a maximum length (docs/api.md), so no field reaches the store as megabytes of text.
 */
/** Names, references, keys, short settings. */
const short = z.string().max(256)
/** A reason or a tag's or parameter's value. */
const text = z.string().max(4096)
/** A model's description. */
const long = z.string().max(65_536)
const digest = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, 'expected "sha256:" and 64 lowercase hex digits')
  .transform((s) => s as Digest)
const scalar = z.union([text, z.number(), z.boolean(), z.null()])
const tensor = z.strictObject({
  name: short,
  datatype: z.enum(TENSOR_DATATYPES),
  shape: z.array(z.number().int()),
})

export const registerBody = z.strictObject({
  artifact: z.strictObject({ digest, kind: z.enum(['file', 'dir']) }),
  flavor: short,
  signature: z
    .strictObject({ inputs: z.array(tensor), outputs: z.array(tensor) })
    .nullable()
    .optional(),
  metrics: z.record(short, z.number()).optional(),
  params: z.record(short, scalar).optional(),
  tags: z.record(short, text).optional(),
  description: long.nullable().optional(),
  datasets: z.array(z.strictObject({ ref: short, role: z.enum(['train', 'eval']) })).optional(),
  run_id: short.nullable().optional(),
  code: z.strictObject({ commit: short, dirty: z.boolean() }).nullable().optional(),
  environment: z
    .strictObject({
      node: short,
      os: short,
      arch: short,
      sluice: short,
      lockfiles: z.record(short, short),
    })
    .nullable()
    .optional(),
  parent_version: z.number().int().positive().nullable().optional(),
})

export const aliasBody = z.strictObject({
  version: z.number().int().positive(),
  /** Point the alias at a rejected version all the same. */
  force: z.boolean().default(false),
})

export const tagsBody = z.strictObject({
  set: z.record(short, text).default({}),
  remove: z.array(short).default([]),
})

export const statusBody = z.strictObject({
  status: z.enum(MODEL_STATUSES),
  reason: text.nullable().optional(),
})

export const folderBody = z.strictObject({
  files: z.array(
    z.strictObject({
      path: z.string().max(4096),
      digest,
      size: z.number().int().nonnegative(),
      executable: z.boolean().default(false),
    }),
  ),
})

export const gcBody = z.strictObject({
  apply: z.boolean().default(false),
  grace_seconds: z.number().nonnegative().default(3600),
})

export const verifyBody = z.strictObject({
  /** Replace damaged serving copies from the artifact store. */
  repair: z.boolean().default(false),
})

export const deployBody = z.strictObject({
  /** NAME@REF: a version number, `latest` or an alias (resolved now and recorded). */
  model: short.min(1),
  /** Micro-batching: rows per model call and how long the first request waits; null turns it off. */
  batching: z
    .strictObject({
      max_rows: z.number().int().positive(),
      max_wait_ms: z.number().nonnegative().max(60_000),
    })
    .nullable()
    .default(null),
  /** Deploy a rejected version all the same. */
  force: z.boolean().default(false),
})

const yamlSource = z.strictObject({ name: short.min(1), text: long })

export const rolloutBody = z.strictObject({
  /** NAME@REF of the candidate. */
  model: short.min(1),
  strategy: z.enum(['canary', 'shadow', 'ab']).optional(),
  /** As the CLI's flags: `"10,25,50,100"`, `"30s"` or `"manual"`, a field or `header:NAME`. */
  steps: short.optional(),
  pause: short.optional(),
  sticky_key: short.optional(),
  /** A strategy file or analysis file: its name (for error messages) and YAML text. */
  strategy_file: yamlSource.optional(),
  analysis_file: yamlSource.optional(),
  /** Roll out a rejected version all the same. */
  force: z.boolean().default(false),
})

export const promoteBody = z.strictObject({ full: z.boolean().default(false) })

export const abortBody = z.strictObject({ reason: text.min(1).default('aborted through the REST API') })

export const tokenBody = z.strictObject({
  name: short,
  scope: z.enum(SCOPES),
  /** How long the token works, e.g. `90d`; absent: until revoked. */
  expires: short.nullable().optional(),
})
