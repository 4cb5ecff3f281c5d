import { z } from 'zod'
import { SLUICE_VERSION } from '../core/version.js'
import {
  abortBody,
  aliasBody,
  deployBody,
  folderBody,
  gcBody,
  promoteBody,
  registerBody,
  rolloutBody,
  statusBody,
  tagsBody,
  tokenBody,
  verifyBody,
} from './schemas.js'
import type { Method } from './table.js'

type Json = Record<string, unknown>

const json = (schema: Json) => ({ content: { 'application/json': { schema } } })
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const body = (s: z.ZodType) => ({ required: true, ...json(z.toJSONSchema(s, { io: 'input' }) as Json) })
const ok = (description: string, schema: Json) => ({ description, ...json(schema) })
const errors = { '4XX': ok('Error', ref('Error')), '5XX': ok('Error', ref('Error')) }
const path = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
})
const query = (name: string, description: string, schema: Json = { type: 'string' }) => ({
  name,
  in: 'query',
  description,
  schema,
})

const NAME = path('name', 'Model or dataset name')
const REF = path('ref', 'Version number, `latest`, or an alias')
const DEPLOYMENT = path('name', 'Deployment name')

/** The OpenAPI 3.1 description of the REST API, served at /openapi.json. */
export function openApiDocument(): Json {
  const binary = { content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }
  return {
    openapi: '3.1.0',
    info: {
      title: 'sluice',
      version: SLUICE_VERSION,
      description: 'Model registry, datasets, artifacts and deployments of a sluice home.',
    },
    paths: {
      '/healthz': { get: { summary: 'Liveness', responses: { 200: ok('Up', { type: 'object' }) } } },
      '/api/v1/model-versions': {
        get: {
          summary: 'Search model versions, newest first',
          parameters: [
            query('name', 'Exact model name'),
            query('prefix', 'Model name prefix'),
            query('alias', 'Versions holding this alias'),
            query('tag', 'KEY=VALUE; repeat for several', { type: 'array', items: { type: 'string' } }),
            query('status', 'candidate, production, archived or rejected; comma-separated or repeated'),
            query('where', 'Metric conditions, e.g. `accuracy>0.8 and log_loss<0.5`'),
            query('limit', 'Page size (default 100, at most 1000)', { type: 'integer' }),
            query('page_token', '`next_page_token` of the previous page'),
          ],
          responses: { 200: ok('A page of versions', ref('ModelVersionList')), ...errors },
        },
      },
      '/api/v1/models/{name}/versions': {
        post: {
          summary: 'Register a new version (upload the artifact first)',
          parameters: [NAME],
          requestBody: body(registerBody),
          responses: { 201: ok('The new version', ref('ModelVersion')), ...errors },
        },
      },
      '/api/v1/models/{name}/versions/{ref}': {
        get: {
          summary: 'One version',
          parameters: [NAME, REF],
          responses: { 200: ok('Version', ref('ModelVersion')), ...errors },
        },
      },
      '/api/v1/models/{name}/versions/{ref}/card': {
        get: {
          summary: 'Model card (Markdown)',
          parameters: [NAME, REF],
          responses: {
            200: { description: 'Markdown', content: { 'text/markdown': { schema: { type: 'string' } } } },
            ...errors,
          },
        },
      },
      '/api/v1/models/{name}/versions/{ref}/tags': {
        patch: {
          summary: 'Set and remove tags',
          parameters: [NAME, REF],
          requestBody: body(tagsBody),
          responses: { 200: ok('Version', ref('ModelVersion')), ...errors },
        },
      },
      '/api/v1/models/{name}/versions/{ref}/status': {
        put: {
          summary: 'Set the status (archived, rejected with a reason, …)',
          parameters: [NAME, REF],
          requestBody: body(statusBody),
          responses: { 200: ok('Version', ref('ModelVersion')), ...errors },
        },
      },
      '/api/v1/models/{name}/aliases/{alias}': {
        put: {
          summary: 'Point an alias at a version (atomically)',
          parameters: [NAME, path('alias', 'Alias')],
          requestBody: body(aliasBody),
          responses: { 200: ok('Alias', ref('Alias')), ...errors },
        },
        delete: {
          summary: 'Remove an alias',
          parameters: [NAME, path('alias', 'Alias')],
          responses: { 200: ok('Alias', ref('Alias')), ...errors },
        },
      },
      '/api/v1/datasets': {
        get: { summary: 'List datasets', responses: { 200: ok('Datasets', { type: 'object' }), ...errors } },
      },
      '/api/v1/datasets/{name}/versions': {
        get: {
          summary: 'Versions of a dataset',
          parameters: [NAME],
          responses: { 200: ok('Versions', { type: 'object' }), ...errors },
        },
        post: {
          summary:
            'Add a data file (the request body) as a version; identical content returns the existing version',
          parameters: [
            NAME,
            query('format', 'csv, jsonl or parquet (default: from source)'),
            query('source', 'Original file name'),
          ],
          requestBody: { required: true, ...binary },
          responses: {
            201: ok('Added', ref('DatasetVersion')),
            200: ok('Already present', ref('DatasetVersion')),
            ...errors,
          },
        },
      },
      '/api/v1/datasets/{name}/versions/{version}': {
        get: {
          summary: 'One dataset version',
          parameters: [NAME, path('version', 'Version number or `latest`')],
          responses: { 200: ok('Version', ref('DatasetVersion')), ...errors },
        },
      },
      '/api/v1/artifacts': {
        post: {
          summary: 'Upload a blob (streamed)',
          requestBody: { required: true, ...binary },
          responses: { 201: ok('Stored', ref('Artifact')), ...errors },
        },
      },
      '/api/v1/artifacts/folders': {
        post: {
          summary: 'Store a folder manifest whose files are already uploaded',
          requestBody: body(folderBody),
          responses: { 201: ok('Stored', ref('Artifact')), ...errors },
        },
      },
      '/api/v1/artifacts/{digest}': {
        get: {
          summary: 'Download a blob (streamed; a corrupt blob breaks the transfer instead of completing it)',
          parameters: [path('digest', 'sha256:<64 hex>')],
          responses: { 200: { description: 'Bytes', ...binary }, ...errors },
        },
      },
      '/api/v1/artifacts/gc': {
        post: {
          summary: 'Delete unreferenced blobs (dry run unless apply)',
          requestBody: body(gcBody),
          responses: { 200: ok('Report', { type: 'object' }), ...errors },
        },
      },
      '/api/v1/artifacts/verify': {
        post: {
          summary: 'Re-hash every blob and serving copy (optional body: {"repair": true})',
          requestBody: { ...body(verifyBody), required: false },
          responses: { 200: ok('Report', { type: 'object' }), ...errors },
        },
      },
      '/api/v1/deployments': {
        get: {
          summary: 'Every deployment and the version answering it',
          responses: { 200: ok('Deployments', { type: 'object' }), ...errors },
        },
      },
      '/api/v1/deployments/{name}': {
        get: {
          summary: 'One deployment and its history of versions',
          parameters: [DEPLOYMENT, query('limit', 'History entries (default 20)', { type: 'integer' })],
          responses: { 200: ok('Deployment', ref('Deployment')), ...errors },
        },
        put: {
          summary:
            'Point a deployment at a version (created if new); the model is loaded and checked first, and one that does not load is refused with the reason',
          parameters: [DEPLOYMENT],
          requestBody: body(deployBody),
          responses: { 200: ok('Deployed', ref('Deployment')), ...errors },
        },
      },
      '/api/v1/deployments/{name}/rollout': {
        get: {
          summary: "The deployment's rollout (the running one, else the last), or idle",
          parameters: [DEPLOYMENT],
          responses: { 200: ok('Rollout', ref('Rollout')), ...errors },
        },
        post: {
          summary:
            'Start a canary, shadow or A/B rollout (the candidate is loaded and checked first; one rollout runs per deployment: 409 otherwise)',
          parameters: [DEPLOYMENT],
          requestBody: body(rolloutBody),
          responses: { 201: ok('Started', ref('Rollout')), ...errors },
        },
      },
      '/api/v1/deployments/{name}/rollout/promote': {
        post: {
          summary: 'End the current pause and go on (full: promote now)',
          parameters: [DEPLOYMENT],
          requestBody: body(promoteBody),
          responses: { 200: ok('Rollout', ref('Rollout')), ...errors },
        },
      },
      '/api/v1/deployments/{name}/rollout/abort': {
        post: {
          summary: 'Send all traffic back to the stable version and end the rollout',
          parameters: [DEPLOYMENT],
          requestBody: body(abortBody),
          responses: { 200: ok('Rollout', ref('Rollout')), ...errors },
        },
      },
      '/api/v1/deployments/{name}/rollout/history': {
        get: {
          summary: "The decision log of the deployment's rollouts, newest first",
          parameters: [DEPLOYMENT, query('limit', 'Entries (default 50)', { type: 'integer' })],
          responses: {
            200: ok('History', { type: 'object', description: 'See docs/schemas/rollout-history.md' }),
            ...errors,
          },
        },
      },
      '/api/v1/tokens': {
        get: {
          summary: 'Every API token (never a secret), revoked and expired ones included',
          responses: { 200: ok('Tokens', ref('TokenList')), ...errors },
        },
        post: {
          summary:
            'Create a token; the answer holds its secret (`token`), shown this once. While no admin token can be used, the next one must be admin (409)',
          requestBody: body(tokenBody),
          responses: { 201: ok('Created', ref('Token')), ...errors },
        },
      },
      '/api/v1/tokens/{name}': {
        delete: {
          summary: 'Revoke a token (409 for the last admin token that can be used)',
          parameters: [path('name', 'Token name')],
          responses: { 200: ok('Revoked', ref('Token')), ...errors },
        },
      },
      '/api/v1/deployments/{name}/rollback': {
        post: {
          summary:
            'Abort a running rollout, else redeploy the last healthy earlier version (the current one is marked rejected)',
          parameters: [DEPLOYMENT],
          responses: {
            200: ok('Rollback', { type: 'object', description: 'See docs/schemas/rollout-history.md' }),
            ...errors,
          },
        },
      },
    },
    components: {
      securitySchemes: {
        token: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API token (`slc_…`, `sluice tokens create`). Each operation names the scope it needs in `x-sluice-scope`; see docs/security.md',
        },
      },
      schemas: {
        Token: {
          type: 'object',
          description: 'See docs/schemas/token.md',
          properties: { schema: { const: 'sluice.token/v1' } },
        },
        TokenList: {
          type: 'object',
          description: 'See docs/schemas/token.md',
          properties: { schema: { const: 'sluice.token-list/v1' } },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                details: { type: 'object' },
              },
            },
          },
        },
        ModelVersion: {
          type: 'object',
          description: 'See docs/schemas/model-version.md',
          properties: { schema: { const: 'sluice.model-version/v1' } },
        },
        ModelVersionList: {
          type: 'object',
          properties: {
            items: { type: 'array', items: ref('ModelVersion') },
            next_page_token: { type: ['string', 'null'] },
          },
        },
        Alias: { type: 'object', properties: { schema: { const: 'sluice.alias/v1' } } },
        Deployment: {
          type: 'object',
          description: 'See docs/schemas/deployment.md',
          properties: { schema: { const: 'sluice.deployment/v1' } },
        },
        Rollout: {
          type: 'object',
          description: 'See docs/schemas/rollout.md',
          properties: { schema: { const: 'sluice.rollout/v1' } },
        },
        DatasetVersion: { type: 'object', description: 'See docs/schemas/dataset-version.md' },
        Artifact: {
          type: 'object',
          properties: {
            digest: { type: 'string' },
            size: { type: 'integer' },
            kind: { enum: ['file', 'dir'] },
          },
        },
      },
    },
  }
}

/**
 * The document with each operation's scope (`x-sluice-scope`, and the bearer token as its
 * security requirement unless it is public), from the route table: `/api/v1/models/:name` is
 * the document's `/api/v1/models/{name}`.
 */
export function withScopes(doc: Json, routes: { method: Method; path: string; scope: string }[]): Json {
  const paths = doc.paths as Record<string, Record<string, Json>>
  for (const r of routes) {
    const operation = paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()]
    if (!operation) continue
    operation['x-sluice-scope'] = r.scope
    operation.security = r.scope === 'public' ? [] : [{ token: [] }]
  }
  return doc
}
