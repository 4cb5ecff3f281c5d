import type { Context } from 'hono'
import { SluiceError } from '../../core/errors.js'
import type { ModelStatus } from '../../core/types.js'
import type { LocalRegistry } from '../../registry/local.js'
import { aliasBody, registerBody, statusBody, tagsBody } from '../schemas.js'
import type { Route } from '../table.js'
import { jsonBody } from '../validate.js'

/** Models, versions and aliases. `{ref}` is a version number, `latest` or an alias. */
export function modelRoutes(registry: LocalRegistry): Route[] {
  const ref = (c: Context) => `${c.req.param('name')}@${c.req.param('ref')}`
  const search = async (c: Context) => {
    const q = c.req.queries()
    const one = (k: string) => c.req.query(k)
    const tags: Record<string, string> = {}
    for (const t of q.tag ?? []) {
      const eq = t.indexOf('=')
      if (eq <= 0) throw new SluiceError('INVALID_INPUT', `tag filter "${t}" must be KEY=VALUE`)
      tags[t.slice(0, eq)] = t.slice(eq + 1)
    }
    const limit = one('limit')
    const statuses = (q.status ?? []).flatMap((s) => s.split(',')).filter(Boolean) as ModelStatus[]
    const result = await registry.searchModelVersions({
      ...(one('name') !== undefined && { name: one('name') }),
      ...(one('prefix') !== undefined && { prefix: one('prefix') }),
      ...(one('alias') !== undefined && { alias: one('alias') }),
      ...(one('where') !== undefined && { where: one('where') }),
      ...(one('page_token') !== undefined && { page_token: one('page_token') }),
      ...(limit !== undefined && { limit: Number(limit) }),
      ...(Object.keys(tags).length && { tags }),
      ...(statuses.length && { statuses }),
    })
    return c.json(result)
  }

  return [
    { method: 'GET', path: '/model-versions', scope: 'read', handler: search },
    {
      method: 'POST',
      path: '/models/:name/versions',
      scope: 'write',
      handler: async (c) => {
        const body = await jsonBody(c, registerBody)
        return c.json(await registry.registerModelVersion({ ...body, name: c.req.param('name')! }), 201)
      },
    },
    {
      method: 'GET',
      path: '/models/:name/versions/:ref',
      scope: 'read',
      handler: async (c) => c.json(await registry.getModelVersion(ref(c))),
    },
    {
      method: 'GET',
      path: '/models/:name/versions/:ref/card',
      scope: 'read',
      handler: async (c) =>
        c.body(await registry.modelCard(ref(c)), 200, { 'content-type': 'text/markdown; charset=utf-8' }),
    },
    {
      method: 'PATCH',
      path: '/models/:name/versions/:ref/tags',
      scope: 'write',
      handler: async (c) => {
        const body = await jsonBody(c, tagsBody)
        return c.json(await registry.tagModelVersion(ref(c), body.set, body.remove))
      },
    },
    {
      method: 'PUT',
      path: '/models/:name/versions/:ref/status',
      scope: 'write',
      handler: async (c) => {
        const body = await jsonBody(c, statusBody)
        return c.json(await registry.setModelStatus(ref(c), body.status, body.reason ?? null))
      },
    },
    {
      // Protected aliases (deploy) are the registry's to check; any other alias moves with write.
      method: 'PUT',
      path: '/models/:name/aliases/:alias',
      scope: 'write',
      handler: async (c) => {
        const body = await jsonBody(c, aliasBody)
        return c.json(
          await registry.setAlias(c.req.param('name')!, c.req.param('alias')!, body.version, {
            force: body.force,
          }),
        )
      },
    },
    {
      method: 'DELETE',
      path: '/models/:name/aliases/:alias',
      scope: 'write',
      handler: async (c) => c.json(await registry.deleteAlias(c.req.param('name')!, c.req.param('alias')!)),
    },
  ]
}
