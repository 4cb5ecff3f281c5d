import { Hono } from 'hono'
import { SluiceError } from '../../core/errors.js'
import type { LocalRegistry } from '../../registry/local.js'
import { localRollouts } from '../../rollout/service.js'
import { abortBody, promoteBody, rolloutBody } from '../schemas.js'
import { jsonBody } from '../validate.js'

/**
 * A deployment's rollout: start, read, promote, abort, its decision log, and rollback. The server
 * that serves the deployment analyses and decides; these routes change the rollout in the store.
 */
export function rolloutRoutes(registry: LocalRegistry): Hono {
  const app = new Hono()
  const rollouts = localRollouts(registry, 'REST API')
  const name = (c: { req: { param(n: string): string | undefined } }) => c.req.param('name')!

  app.get('/deployments/:name/rollout', async (c) => c.json(await rollouts.status(name(c))))
  app.post('/deployments/:name/rollout', async (c) => {
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
  })
  app.post('/deployments/:name/rollout/promote', async (c) =>
    c.json(await rollouts.promote(name(c), (await jsonBody(c, promoteBody)).full)),
  )
  app.post('/deployments/:name/rollout/abort', async (c) =>
    c.json(await rollouts.abort(name(c), (await jsonBody(c, abortBody)).reason)),
  )
  app.get('/deployments/:name/rollout/history', async (c) => {
    const raw = c.req.query('limit') ?? '50'
    const limit = Number(raw)
    if (!Number.isInteger(limit) || limit < 1)
      throw new SluiceError('INVALID_INPUT', `limit must be a whole number ≥ 1, got "${raw}"`)
    return c.json(await rollouts.history(name(c), limit))
  })
  app.post('/deployments/:name/rollback', async (c) => c.json(await rollouts.rollback(name(c))))
  return app
}
