import type { Context } from 'hono'
import { type Actor, ANONYMOUS } from '../core/actor.js'

declare module 'hono' {
  interface ContextVariableMap {
    /** Who sent the request, set by the authentication middleware. */
    actor: Actor
  }
}

/** The request's actor; anonymous until the authentication middleware says otherwise. */
export const actorOf = (c: Context): Actor => c.get('actor') ?? ANONYMOUS
