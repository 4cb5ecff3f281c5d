import os from 'node:os'

/**
 * What a token may do. Each scope includes the ones before it: `infer` (inference and `/metrics`
 * only: the token a client application holds, which cannot read the registry or download a model)
 * < `read` (every GET) < `write` (register, tag, non-protected aliases, status changes) < `deploy`
 * (deployments, rollouts, rollback, protected aliases) < `admin` (tokens, gc, settings). Whether
 * inference needs a token at all is its own setting (`serving.auth`).
 */
export const SCOPES = ['infer', 'read', 'write', 'deploy', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

/** Whether a token of scope `have` may do what needs `need`. */
export const scopeIncludes = (have: Scope, need: Scope): boolean =>
  SCOPES.indexOf(have) >= SCOPES.indexOf(need)

/**
 * Who did something, as the audit log and approvals record it:
 * - `token`: a request that carried an API token;
 * - `anonymous`: a request to a server on loopback before any token exists (the laptop case);
 * - `local`: a command run on the home itself (whoever can read the home's files is trusted);
 * - `system`: sluice acting on its own (a rollout's decision, an automatic rollback, retraining).
 */
export type Actor =
  | { kind: 'token'; name: string; scope: Scope }
  | { kind: 'anonymous' }
  | { kind: 'local'; user: string }
  | { kind: 'system'; component: string }

export const ANONYMOUS: Actor = { kind: 'anonymous' }

/** The actor of a command run on the home, named after the operating-system user. */
export function localActor(): Actor {
  let user: string
  try {
    user = os.userInfo().username
  } catch {
    user = process.env.USER ?? 'unknown' // no passwd entry (some containers)
  }
  return { kind: 'local', user }
}

/** One string per actor, as the audit log shows and filters it: `token:NAME`, `local:USER`, `anonymous`, `system:COMPONENT`. */
export function actorName(actor: Actor): string {
  switch (actor.kind) {
    case 'token':
      return `token:${actor.name}`
    case 'local':
      return `local:${actor.user}`
    case 'system':
      return `system:${actor.component}`
    case 'anonymous':
      return 'anonymous'
  }
}
