import { SluiceError } from '../../core/errors.js'
import type { LocalRegistry } from '../../registry/local.js'
import { localDeployments } from '../../serving/deploy.js'
import { deployBody } from '../schemas.js'
import type { Route } from '../table.js'
import { jsonBody } from '../validate.js'

/**
 * Deployments: which version answers each one. `PUT` loads and checks the model in this process
 * before recording the change; every server reading the same store picks it up within a poll.
 */
export function deploymentRoutes(registry: LocalRegistry): Route[] {
  const deployments = localDeployments(registry)
  return [
    {
      method: 'GET',
      path: '/deployments',
      scope: 'read',
      handler: async (c) => c.json({ schema: 'sluice.deployment-list/v1', items: await deployments.list() }),
    },
    {
      method: 'GET',
      path: '/deployments/:name',
      scope: 'read',
      handler: async (c) => {
        const raw = c.req.query('limit') ?? '20'
        const limit = Number(raw)
        if (!Number.isInteger(limit) || limit < 1)
          throw new SluiceError('INVALID_INPUT', `limit must be a whole number ≥ 1, got "${raw}"`)
        return c.json(await deployments.show(c.req.param('name')!, limit))
      },
    },
    {
      method: 'PUT',
      path: '/deployments/:name',
      scope: 'deploy',
      handler: async (c) => {
        const body = await jsonBody(c, deployBody)
        return c.json(
          await deployments.deploy(body.model, c.req.param('name')!, {
            batching: body.batching,
            force: body.force,
          }),
        )
      },
    },
  ]
}
