/**
 * What a rejected version means in the store, as pure functions: where the aliases naming it go,
 * how each move is logged, and the refusal of anything that would point at it again.
 */

/** Versions marked rejected in one transaction, and the version the deployment answers with now. */
export interface Rejection {
  versions: { model: string; version: number; reason: string }[]
  /** Aliases that named a rejected version move here when it is of their model (and not rejected). */
  serving: { model: string; version: number } | null
}

/** One alias that named a rejected version: moved to `to`, or removed (`to: null`). */
export interface AliasMove {
  model: string
  alias: string
  from: number
  to: number | null
}

/**
 * Where the aliases naming rejected versions go: to the version the deployment serves now when it
 * is a version of the same model (and not rejected itself: pass null then), else nowhere — a
 * registry never points at a rejected version.
 */
export function aliasMoves(
  aliases: { model: string; alias: string; version: number }[],
  serving: { model: string; version: number } | null,
): AliasMove[] {
  return aliases.map((a) => ({
    model: a.model,
    alias: a.alias,
    from: a.version,
    to: serving?.model === a.model && serving.version !== a.version ? serving.version : null,
  }))
}

/** A move as a decision-log entry (`kind: alias`). */
export function aliasMoveDecision(move: AliasMove, at: string) {
  const ref = `${move.model}@${move.alias}`
  return {
    at,
    kind: 'alias',
    message:
      move.to === null
        ? `${ref} removed: version ${move.from} was rejected and the deployment serves no other version of ${move.model}`
        : `${ref} moved from version ${move.from} to ${move.to}: version ${move.from} was rejected`,
    detail: { ...move },
  }
}

/** The refusal to point at a rejected version without `force` (`doing`: "give it an alias", "deploy it"). */
export function rejectedRefusal(ref: string, reason: string | null, doing: string): string {
  return `${ref} was rejected${reason ? ` (${reason})` : ''}; ${doing} anyway with --force (REST: "force": true)`
}
