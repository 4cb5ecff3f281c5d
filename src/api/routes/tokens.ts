import type { TokenStore } from '../../store/types.js'
import { actorOf } from '../actor.js'
import { LocalTokens } from '../auth/tokens.js'
import type { TokenVerifier } from '../auth/verifier.js'
import { tokenBody } from '../schemas.js'
import type { Route } from '../table.js'
import { jsonBody } from '../validate.js'

/**
 * API tokens (admin scope, listing included). A change is read back at once by this server's
 * verifier; other servers on the same home notice it within their poll.
 */
export function tokenRoutes(store: TokenStore, verifier: TokenVerifier): Route[] {
  return [
    {
      method: 'GET',
      path: '/tokens',
      scope: 'admin',
      handler: async (c) => c.json(await new LocalTokens(store, actorOf(c)).list()),
    },
    {
      method: 'POST',
      path: '/tokens',
      scope: 'admin',
      handler: async (c) => {
        const body = await jsonBody(c, tokenBody)
        const doc = await new LocalTokens(store, actorOf(c)).create(body)
        await verifier.refresh()
        return c.json(doc, 201, { 'cache-control': 'no-store' })
      },
    },
    {
      method: 'DELETE',
      path: '/tokens/:name',
      scope: 'admin',
      handler: async (c) => {
        const doc = await new LocalTokens(store, actorOf(c)).revoke(c.req.param('name')!)
        await verifier.refresh()
        return c.json(doc)
      },
    },
  ]
}
