import { type Command, Option } from 'commander'
import type { Tokens } from '../../api/auth/tokens.js'
import { localActor, SCOPES } from '../../core/actor.js'
import { type GlobalOptions, withClient } from '../context.js'
import { makeOutput, table } from '../output.js'
import type { Runner } from '../run.js'

/** `sluice tokens create|list|revoke`: on the home, or with --server over REST (an admin token in SLUICE_TOKEN). */
export function tokensCommand(program: Command, run: Runner) {
  const tokens = program
    .command('tokens')
    .description('API tokens: who may call the server, and with which scope (see docs/security.md)')

  tokens
    .command('create')
    .description(
      'create a token and print its secret, once (alone on stdout, so `export SLUICE_TOKEN=$(sluice tokens create …)` works)',
    )
    .argument('<name>', 'a name for who holds it (e.g. ci, alice, prometheus)')
    .addOption(
      new Option('--scope <scope>', 'what it may do; each scope includes the ones before it')
        .choices(SCOPES)
        .makeOptionMandatory(),
    )
    .option('--expires <duration>', 'stop working after this long, e.g. 90d, 12h (default: until revoked)')
    .option('--json', 'print a sluice.token/v1 document (with the secret in "token")')
    .action(
      run(async (o: GlobalOptions & { scope: string; expires?: string }, cmd) => {
        const doc = await withTokens(o, (t) =>
          t.create({ name: cmd.args[0]!, scope: o.scope, expires: o.expires ?? null }),
        )
        makeOutput(Boolean(o.json)).result(doc, () => doc.token)
        if (!o.json)
          process.stderr.write(
            `created token "${doc.name}" (${doc.id}…, scope ${doc.scope}, ${doc.expires_at ? `expires ${doc.expires_at}` : 'no expiry'}); the secret above is shown this once: store it now\n`,
          )
      }),
    )

  tokens
    .command('list')
    .description('every token: name, scope, status, times (never a secret)')
    .option('--json', 'print a sluice.token-list/v1 document')
    .action(
      run(async (o: GlobalOptions) => {
        const doc = await withTokens(o, (t) => t.list())
        makeOutput(Boolean(o.json)).result(doc, () =>
          doc.items.length === 0
            ? 'no tokens: the server lets requests in without one on loopback; create the first (admin) with `sluice tokens create NAME --scope admin`'
            : table(
                ['NAME', 'SCOPE', 'ID', 'STATUS', 'CREATED', 'BY', 'EXPIRES', 'LAST USED'],
                doc.items.map((t) => [
                  t.name,
                  t.scope,
                  `${t.id}…`,
                  t.status,
                  t.created_at,
                  t.created_by,
                  t.expires_at ?? '-',
                  t.last_used_at ?? '-',
                ]),
              ),
        )
      }),
    )

  tokens
    .command('revoke')
    .description('stop a token working (refused for the last admin token that can be used)')
    .argument('<name>', 'the token')
    .option('--json', 'print the revoked sluice.token/v1 document')
    .action(
      run(async (o: GlobalOptions, cmd) => {
        const doc = await withTokens(o, (t) => t.revoke(cmd.args[0]!))
        makeOutput(Boolean(o.json)).result(
          doc,
          () => `revoked token "${doc.name}" (${doc.id}…, scope ${doc.scope})`,
        )
      }),
    )
}

/** The home's tokens (created by this OS user), or a server's with --server / SLUICE_SERVER. */
function withTokens<T>(o: GlobalOptions, fn: (t: Tokens) => Promise<T>): Promise<T> {
  return withClient(
    o,
    {
      remote: async (url) => new (await import('../../api/client.js')).HttpTokens(url),
      local: async (registry) => {
        const { LocalTokens } = await import('../../api/auth/tokens.js')
        return new LocalTokens(registry.store.tokens, localActor(), { close: () => registry.close() })
      },
    },
    fn,
  )
}
