import { Readable } from 'node:stream'
import { Hono } from 'hono'
import { checkRelativePath } from '../../artifacts/manifest.js'
import { localSink } from '../../artifacts/transfer.js'
import { SluiceError } from '../../core/errors.js'
import { parseDigest } from '../../core/hash.js'
import type { LocalRegistry } from '../../registry/local.js'
import { limitedBody } from '../body.js'
import { folderBody, gcBody, verifyBody } from '../schemas.js'
import { jsonBody } from '../validate.js'

const PRECHECK_BYTES = 8 << 20

/** Blobs: streamed upload and download, folders (manifests), garbage collection, verification. */
export function artifactRoutes(registry: LocalRegistry): Hono {
  const app = new Hono()
  const artifacts = registry.artifacts

  app.post('/artifacts', async (c) => {
    const body = limitedBody(c, 'upload')
    if (!body) throw new SluiceError('INVALID_INPUT', "send the file's bytes as the request body")
    const blob = await artifacts.put(body)
    return c.json({ schema: 'sluice.artifact/v1', ...blob, kind: 'file' }, 201)
  })

  app.post('/artifacts/folders', async (c) => {
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
  })

  app.on(['GET', 'HEAD'], '/artifacts/:digest', async (c) => {
    const digest = parseDigest(c.req.param('digest'))
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
  })

  app.post('/artifacts/gc', async (c) => {
    const body = await jsonBody(c, gcBody)
    return c.json(await registry.gcArtifacts({ apply: body.apply, graceMs: body.grace_seconds * 1000 }))
  })

  app.post('/artifacts/verify', async (c) => {
    // The body is optional: a bare POST verifies without repairing.
    const body = c.req.header('content-type')?.includes('json') ? await jsonBody(c, verifyBody) : null
    return c.json(await registry.verifyArtifacts({ repair: body?.repair ?? false }))
  })

  return app
}
