import { Hono } from 'hono'
import { SluiceError } from '../../core/errors.js'
import type { LocalRegistry } from '../../registry/local.js'
import { localDeployments } from '../../serving/deploy.js'
import { deployBody } from '../schemas.js'
import { jsonBody } from '../validate.js'

/**
 * Deployments: which version answers each one. `PUT` loads and checks the model in this process
 * before recording the change; every server reading the same store picks it up within a poll.
 */
export function deploymentRoutes(registry: LocalRegistry): Hono {
  const app = new Hono()
  const deployments = localDeployments(registry)

  app.get('/deployments', async (c) =>
    c.json({ schema: 'sluice.deployment-list/v1', items: await deployments.list() }),
  )

  app.get('/deployments/:name', async (c) => {
    const raw = c.req.query('limit') ?? '20'
    const limit = Number(raw)
    if (!Number.isInteger(limit) || limit < 1)
      throw new SluiceError('INVALID_INPUT', `limit must be a whole number ≥ 1, got "${raw}"`)
    return c.json(await deployments.show(c.req.param('name'), limit))
  })

  app.put('/deployments/:name', async (c) => {
    const body = await jsonBody(c, deployBody)
    return c.json(
      await deployments.deploy(body.model, c.req.param('name'), {
        batching: body.batching,
        force: body.force,
      }),
    )
  })
  return app
}
