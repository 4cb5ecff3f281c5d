import type { Kysely, Selectable, Transaction } from 'kysely'
import type { Scope } from '../core/actor.js'
import { SluiceError } from '../core/errors.js'
import type { Database } from './schema.js'
import type { TokenRecord, TokenStore } from './types.js'

type Tx = <T>(fn: (trx: Transaction<Database>) => Promise<T>) => Promise<T>
type Row = Selectable<Database['api_tokens']>

/** API tokens, in the same portable Kysely queries as the rest of the store. */
export class KyselyTokenStore implements TokenStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly tx: Tx,
  ) {}

  createToken(input: Omit<TokenRecord, 'last_used_at' | 'revoked_at'>): Promise<TokenRecord> {
    return this.tx(async (trx) => {
      const taken = await trx
        .selectFrom('api_tokens')
        .select(['created_at'])
        .where('name', '=', input.name)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      if (taken)
        throw new SluiceError(
          'CONFLICT',
          `a token named "${input.name}" exists already (created ${taken.created_at}); choose another name, or revoke it first (\`sluice tokens revoke ${input.name}\`)`,
        )
      if (input.scope !== 'admin' && (await usableAdmins(trx, input.created_at)).length === 0)
        throw new SluiceError(
          'CONFLICT',
          `no admin token can be used on this home yet, so the next token must have scope admin (someone must be able to manage tokens once they are required); create it with --scope admin, then the ${input.scope} token`,
        )
      const row = { ...input, last_used_at: null, revoked_at: null }
      await trx.insertInto('api_tokens').values(row).execute()
      return row
    })
  }

  async listTokens(): Promise<TokenRecord[]> {
    const rows = await this.db.selectFrom('api_tokens').selectAll().orderBy('id').execute()
    return rows.map(toRecord)
  }

  revokeToken(name: string, at: string): Promise<TokenRecord> {
    return this.tx(async (trx) => {
      const row = await trx
        .selectFrom('api_tokens')
        .selectAll()
        .where('name', '=', name)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      if (!row)
        throw new SluiceError(
          'NOT_FOUND',
          `no token named "${name}" (or it is revoked already); \`sluice tokens list\` shows the tokens`,
        )
      const admins = await usableAdmins(trx, at)
      if (admins.length === 1 && admins[0] === row.token_id)
        throw new SluiceError(
          'CONFLICT',
          `"${name}" is the last admin token that can be used; without it nobody could manage tokens over the API. Create another admin token first (\`sluice tokens create NAME --scope admin\`), then revoke this one`,
        )
      await trx.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', row.id).execute()
      return toRecord({ ...row, revoked_at: at })
    })
  }

  async tokensVersion(): Promise<string> {
    const r = await this.db
      .selectFrom('api_tokens')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.count('revoked_at').as('revoked')])
      .executeTakeFirstOrThrow()
    return `${r.n}/${r.revoked}`
  }

  async touchToken(tokenId: string, at: string): Promise<void> {
    await this.tx((trx) =>
      trx.updateTable('api_tokens').set({ last_used_at: at }).where('token_id', '=', tokenId).execute(),
    )
  }
}

/** Ids of the admin tokens that can be used at `at`: not revoked, not expired. */
async function usableAdmins(trx: Transaction<Database>, at: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('api_tokens')
    .select(['token_id'])
    .where('scope', '=', 'admin')
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
    .execute()
  return rows.map((r) => r.token_id)
}

function toRecord(r: Row): TokenRecord {
  return {
    token_id: r.token_id,
    name: r.name,
    scope: r.scope as Scope,
    hash: r.hash,
    created_by: r.created_by,
    created_at: r.created_at,
    expires_at: r.expires_at,
    last_used_at: r.last_used_at,
    revoked_at: r.revoked_at,
  }
}
