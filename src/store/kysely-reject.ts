import type { Transaction } from 'kysely'
import { SluiceError } from '../core/errors.js'
import { type AliasMove, aliasMoves, type Rejection } from './rejections.js'
import type { Database } from './schema.js'

/**
 * Marks versions rejected and moves the aliases that named them (`aliasMoves`), inside the
 * caller's transaction: no reader ever sees an alias on a rejected version.
 */
export async function rejectInTransaction(
  trx: Transaction<Database>,
  rejection: Rejection,
  at: string,
): Promise<AliasMove[]> {
  const ids: number[] = []
  for (const v of rejection.versions) {
    const row = await versionOf(trx, v.model, v.version)
    if (!row)
      throw new SluiceError(
        'NOT_FOUND',
        `model version ${v.model}@${v.version} not found; it cannot be rejected`,
      )
    await trx
      .updateTable('model_versions')
      .set({ status: 'rejected', status_reason: v.reason, updated_at: at })
      .where('id', '=', row.id)
      .execute()
    ids.push(row.id)
  }
  if (ids.length === 0) return []
  const aliases = await trx
    .selectFrom('model_aliases as a')
    .innerJoin('models as m', 'm.id', 'a.model_id')
    .innerJoin('model_versions as mv', 'mv.id', 'a.version_id')
    .select(['m.name as model', 'a.alias', 'mv.version', 'a.model_id'])
    .where('a.version_id', 'in', ids)
    .orderBy('m.name')
    .orderBy('a.alias')
    .execute()
  const s = rejection.serving
  const target = s ? await versionOf(trx, s.model, s.version) : null
  const moves = aliasMoves(
    aliases.map((a) => ({ model: a.model, alias: a.alias, version: Number(a.version) })),
    s && target && target.status !== 'rejected' ? s : null,
  )
  for (const [i, move] of moves.entries()) {
    const modelId = aliases[i]!.model_id
    if (move.to === null)
      await trx
        .deleteFrom('model_aliases')
        .where('model_id', '=', modelId)
        .where('alias', '=', move.alias)
        .execute()
    else
      await trx
        .updateTable('model_aliases')
        .set({ version_id: target!.id, updated_at: at })
        .where('model_id', '=', modelId)
        .where('alias', '=', move.alias)
        .execute()
  }
  return moves
}

/** A version's row id and status, or null. */
export async function versionOf(trx: Transaction<Database>, model: string, version: number) {
  const row = await trx
    .selectFrom('model_versions as mv')
    .innerJoin('models as m', 'm.id', 'mv.model_id')
    .select(['mv.id', 'mv.status', 'mv.status_reason'])
    .where('m.name', '=', model)
    .where('mv.version', '=', version)
    .executeTakeFirst()
  return row ? { id: Number(row.id), status: row.status, status_reason: row.status_reason } : null
}
