import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Context } from 'hono'
import { diskError } from '../../core/disk-full.js'
import { SluiceError } from '../../core/errors.js'
import { spoolPath, sweepSpool } from '../../core/spool.js'
import { DATASET_FORMATS, type DatasetFormat } from '../../core/types.js'
import type { LocalRegistry } from '../../registry/local.js'
import { limitedBody } from '../body.js'
import type { Route } from '../table.js'

/**
 * Datasets. Uploads stream the file's bytes as the request body. Built once as the server starts,
 * which is when the spool files its crashed predecessors left behind are removed (never those of
 * another live server on the same home: their names carry their writer).
 */
export function datasetRoutes(registry: LocalRegistry, tmpDir: string): Route[] {
  sweepSpool(tmpDir, true)

  const add = async (c: Context) => {
    const format = c.req.query('format')
    if (format !== undefined && !(DATASET_FORMATS as readonly string[]).includes(format)) {
      throw new SluiceError(
        'INVALID_INPUT',
        `format must be one of ${DATASET_FORMATS.join(', ')}, got "${format}"`,
      )
    }
    const body = limitedBody(c, 'upload')
    if (!body) throw new SluiceError('INVALID_INPUT', 'send the data file as the request body')
    // The file is parsed before anything is recorded, and Parquet needs random access: spool it.
    const source = path.basename(c.req.query('source') ?? 'upload')
    await mkdir(tmpDir, { recursive: true })
    const spool = spoolPath(tmpDir, path.extname(source))
    try {
      await pipeline(body, createWriteStream(spool, { flags: 'wx' })).catch((e) => {
        throw diskError(e, `the server's temporary folder ${tmpDir}`)
      })
      const doc = await registry.addDataset(c.req.param('name')!, spool, {
        ...(format && { format: format as DatasetFormat }),
        source,
      })
      return c.json(doc, doc.created ? 201 : 200)
    } finally {
      await rm(spool, { force: true })
    }
  }

  return [
    {
      method: 'GET',
      path: '/datasets',
      scope: 'read',
      handler: async (c) => c.json(await registry.listDatasets()),
    },
    {
      method: 'GET',
      path: '/datasets/:name/versions',
      scope: 'read',
      handler: async (c) => c.json(await registry.listDatasetVersions(c.req.param('name')!)),
    },
    {
      method: 'GET',
      path: '/datasets/:name/versions/:version',
      scope: 'read',
      handler: async (c) =>
        c.json(await registry.getDatasetVersion(`${c.req.param('name')}@${c.req.param('version')}`)),
    },
    { method: 'POST', path: '/datasets/:name/versions', scope: 'write', upload: true, handler: add },
  ]
}
