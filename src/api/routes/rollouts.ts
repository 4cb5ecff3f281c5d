import type { Context } from 'hono'
import { SluiceError } from '../../core/errors.js'
import type { LocalRegistry } from '../../registry/local.js'
import { localRollouts } from '../../rollout/service.js'
import { abortBody, promoteBody, rolloutBody } from '../schemas.js'
import type { Route } from '../table.js'
import { jsonBody } from '../validate.js'

/**
 * A deployment's rollout: start, read, promote, abort, its decision log, and rollback. The server
 * that serves the deployment analyses and decides; these routes change the rollout in the store.
 */
export function rolloutRoutes(registry: LocalRegistry): Route[] {
  const rollouts = localRollouts(registry, 'REST API')
  const name = (c: Context) => c.req.param('name')!
  return [
    {
      method: 'GET',
      path: '/deployments/:name/rollout',
      scope: 'read',
      handler: async (c) => c.json(await rollouts.status(name(c))),
    },
    {
      method: 'POST',
      path: '/deployments/:name/rollout',
      scope: 'deploy',
      handler: async (c) => {
        const b = await jsonBody(c, rolloutBody)
        const doc = await rollouts.start(
          b.model,
          name(c),
          {
            strategy: b.strategy,
            steps: b.steps,
            pause: b.pause,
            stickyKey: b.sticky_key,
            strategyFile: b.strategy_file,
            analysisFile: b.analysis_file,
          },
          { force: b.force },
        )
        return c.json(doc, 201)
      },
    },
    {
      method: 'POST',
      path: '/deployments/:name/rollout/promote',
      scope: 'deploy',
      handler: async (c) => c.json(await rollouts.promote(name(c), (await jsonBody(c, promoteBody)).full)),
    },
    {
      method: 'POST',
      path: '/deployments/:name/rollout/abort',
      scope: 'deploy',
      handler: async (c) => c.json(await rollouts.abort(name(c), (await jsonBody(c, abortBody)).reason)),
    },
    {
      method: 'GET',
      path: '/deployments/:name/rollout/history',
      scope: 'read',
      handler: async (c) => {
        const raw = c.req.query('limit') ?? '50'
        const limit = Number(raw)
        if (!Number.isInteger(limit) || limit < 1)
          throw new SluiceError('INVALID_INPUT', `limit must be a whole number ≥ 1, got "${raw}"`)
        return c.json(await rollouts.history(name(c), limit))
      },
    },
    {
      method: 'POST',
      path: '/deployments/:name/rollback',
      scope: 'deploy',
      handler: async (c) => c.json(await rollouts.rollback(name(c))),
    },
  ]
}
