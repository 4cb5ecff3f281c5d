import { Readable } from 'node:stream'
import type { Context } from 'hono'
import { checkRelativePath } from '../../artifacts/manifest.js'
import { localSink } from '../../artifacts/transfer.js'
import { SluiceError } from '../../core/errors.js'
import { parseDigest } from '../../core/hash.js'
import type { LocalRegistry } from '../../registry/local.js'
import { limitedBody } from '../body.js'
import { folderBody, gcBody, verifyBody } from '../schemas.js'
import type { Route } from '../table.js'
import { jsonBody } from '../validate.js'

const PRECHECK_BYTES = 8 << 20

/** Blobs: streamed upload and download, folders (manifests), garbage collection, verification. */
export function artifactRoutes(registry: LocalRegistry): Route[] {
  const artifacts = registry.artifacts

  const upload = async (c: Context) => {
    const body = limitedBody(c, 'upload')
    if (!body) throw new SluiceError('INVALID_INPUT', "send the file's bytes as the request body")
    const blob = await artifacts.put(body)
    return c.json({ schema: 'sluice.artifact/v1', ...blob, kind: 'file' }, 201)
  }

  const folder = async (c: Context) => {
    const { files } = await jsonBody(c, folderBody)
    for (const f of files) {
      checkRelativePath(f.path)
      const stored = await artifacts.stat(f.digest)
      if (!stored)
        throw new SluiceError(
          'ARTIFACT_MISSING',
          `file "${f.path}" (${f.digest}) is not stored; upload it first`,
        )
      if (stored.size !== f.size) {
        throw new SluiceError(
          'INVALID_INPUT',
          `file "${f.path}": size ${f.size} does not match the stored blob (${stored.size})`,
        )
      }
    }
    return c.json({ schema: 'sluice.artifact/v1', ...(await localSink(artifacts).putFolder(files)) }, 201)
  }

  // Also answers HEAD (the web framework routes HEAD to GET routes): the headers alone.
  const download = async (c: Context) => {
    const digest = parseDigest(c.req.param('digest')!)
    const s = await artifacts.stat(digest)
    if (!s) throw new SluiceError('ARTIFACT_MISSING', `blob ${digest} is not stored`)
    const headers = {
      'content-type': 'application/octet-stream',
      'content-length': String(s.size),
      etag: `"${digest}"`,
      'x-content-digest': digest,
    }
    if (c.req.method === 'HEAD') return c.body(null, 200, headers)
    // Small blobs are checked before the response starts, so corruption gets a JSON error. Large
    // ones stream; a corrupt one fails before its last chunk and the client sees a broken transfer.
    if (s.size <= PRECHECK_BYTES) {
      const chunks: Buffer[] = []
      for await (const chunk of await artifacts.open(digest)) chunks.push(chunk as Buffer)
      return c.body(Buffer.concat(chunks), 200, headers)
    }
    return c.body(Readable.toWeb(await artifacts.open(digest)) as ReadableStream, 200, headers)
  }

  return [
    { method: 'POST', path: '/artifacts', scope: 'write', upload: true, handler: upload },
    { method: 'POST', path: '/artifacts/folders', scope: 'write', handler: folder },
    { method: 'GET', path: '/artifacts/:digest', scope: 'read', handler: download },
    {
      method: 'POST',
      path: '/artifacts/gc',
      scope: 'admin',
      handler: async (c) => {
        const body = await jsonBody(c, gcBody)
        return c.json(await registry.gcArtifacts({ apply: body.apply, graceMs: body.grace_seconds * 1000 }))
      },
    },
    {
      // Reads every blob (and may rewrite the server's copies): maintenance, like gc.
      method: 'POST',
      path: '/artifacts/verify',
      scope: 'admin',
      handler: async (c) => {
        // The body is optional: a bare POST verifies without repairing.
        const body = c.req.header('content-type')?.includes('json') ? await jsonBody(c, verifyBody) : null
        return c.json(await registry.verifyArtifacts({ repair: body?.repair ?? false }))
      },
    },
  ]
}
