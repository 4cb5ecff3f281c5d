import type { Command } from 'commander'
import type { RolloutDoc, Rollouts } from '../../rollout/service.js'
import { positiveInt } from '../args.js'
import { type GlobalOptions, withClient } from '../context.js'
import { makeOutput, table } from '../output.js'
import type { Runner } from '../run.js'

/** `sluice rollout status|promote|abort|history`, `sluice rollback`. */
export function rolloutCommands(program: Command, run: Runner) {
  const rollout = program
    .command('rollout')
    .description('progressive rollouts (canary, shadow, A/B): see, promote or abort them')
  rollout
    .command('status')
    .description("a deployment's rollout: state, arms and weights, latest decisions")
    .argument('<deployment>', 'deployment')
    .option('--json', 'print a sluice.rollout/v1 document')
    .action(
      run(async (o, cmd) => {
        const doc = await withRollouts(o, (r) => r.status(cmd.args[0]!))
        makeOutput(Boolean(o.json)).result(doc, () => describeRollout(doc))
      }),
    )
  rollout
    .command('promote')
    .description('end the current pause and go on to the next step (with --full: promote the candidate now)')
    .argument('<deployment>', 'deployment')
    .option('--full', 'skip the remaining steps: the candidate becomes the stable version')
    .option('--json', 'print a sluice.rollout/v1 document')
    .action(
      run(async (o, cmd) => {
        const name = cmd.args[0]!
        const doc = await withRollouts(o, (r) => r.promote(name, Boolean(o.full)))
        makeOutput(Boolean(o.json)).result(doc, () => describeRollout(doc))
      }),
    )
  rollout
    .command('abort')
    .description('send all traffic back to the stable version now and end the rollout')
    .argument('<deployment>', 'deployment')
    .option('--reason <text>', 'why, for the decision log', 'aborted by hand')
    .option('--json', 'print a sluice.rollout/v1 document')
    .action(
      run(async (o, cmd) => {
        const name = cmd.args[0]!
        const doc = await withRollouts(o, (r) => r.abort(name, o.reason as string))
        makeOutput(Boolean(o.json)).result(doc, () => describeRollout(doc))
      }),
    )
  rollout
    .command('history')
    .description("a deployment's rollout decision log: every step, measurement and decision, newest first")
    .argument('<deployment>', 'deployment')
    .option('--limit <n>', 'entries (default 50)', '50')
    .option('--json', 'print a sluice.rollout-history/v1 document')
    .action(
      run(async (o, cmd) => {
        const name = cmd.args[0]!
        const limit = positiveInt(o.limit as string, '--limit')
        const doc = await withRollouts(o, (r) => r.history(name, limit))
        const items = doc.items
        makeOutput(Boolean(o.json)).result(doc, () =>
          items.length === 0
            ? `no rollout decisions for "${name}" yet`
            : table(
                ['AT', 'ROLLOUT', 'KIND', 'MESSAGE'],
                items.map((d) => [d.at, d.rollout, d.kind, d.message]),
              ),
        )
      }),
    )

  program
    .command('rollback')
    .description(
      'go back to the last healthy version: abort a running rollout, or redeploy the previous version',
    )
    .argument('<deployment>', 'deployment')
    .option('--json', 'print a sluice.rollback/v1 document')
    .action(
      run(async (o, cmd) => {
        const name = cmd.args[0]!
        const r = await withRollouts(o, (x) => x.rollback(name))
        makeOutput(Boolean(o.json)).result(r, () =>
          [
            `deployment ${name} rolled back: ${r.model}@${r.from} → ${r.model}@${r.to} (version ${r.from} marked rejected)`,
            ...r.aliases.map((m) =>
              m.to === null
                ? `${m.model}@${m.alias} removed (it named version ${m.from})`
                : `${m.model}@${m.alias} moved from version ${m.from} to ${m.to}`,
            ),
          ].join('\n'),
        )
      }),
    )
}

/** Rollouts of a running server (`--server URL` / SLUICE_SERVER), else of this home. */
export function withRollouts<T>(o: GlobalOptions, fn: (r: Rollouts) => Promise<T>): Promise<T> {
  return withClient<Rollouts, T>(
    o,
    {
      remote: async (url) => new (await import('../../api/client.js')).HttpRollouts(url),
      local: async (registry) => (await import('../../rollout/service.js')).localRollouts(registry),
    },
    fn,
  )
}

const number = (x: unknown) => (typeof x === 'number' ? String(Number(x.toPrecision(4))) : '-')

/** A rollout for people: state, arms, the newest measurement of each rule, the latest steps and decisions. */
export function describeRollout(doc: RolloutDoc): string {
  const lines = [
    `deployment ${doc.deployment}: ${doc.strategy ? `${doc.strategy} rollout ${doc.id} ${doc.state}` : 'no rollout (idle)'}` +
      (doc.step ? `, step ${doc.step.index + 1} of ${doc.step.of}` : ''),
    `stable ${doc.stable.model}@${doc.stable.version}`,
    '',
    table(
      ['ROLE', 'MODEL', 'VERSION', 'WEIGHT'],
      doc.arms.map((a) => [a.role, a.model, String(a.version), `${a.weight}%`]),
    ),
  ]
  if (doc.result) lines.push('', `result: ${doc.result.model}@${doc.result.version} — ${doc.result.reason}`)
  // The newest measurement of each rule, then the steps and decisions (measurements are in `history`).
  const latest = new Map<string, RolloutDoc['decisions'][number]>()
  for (const d of doc.decisions)
    if (
      d.kind === 'measurement' &&
      typeof d.detail.rule === 'string' &&
      !latest.has(`${d.detail.rule}@${d.detail.version}`)
    )
      latest.set(`${d.detail.rule}@${d.detail.version}`, d)
  if (latest.size > 0)
    lines.push(
      '',
      table(
        ['RULE', 'VERSION', 'VERDICT', 'VALUE', 'STABLE', 'LIMIT', 'SAMPLES'],
        [...latest.values()].map(({ detail: m }) => [
          String(m.rule),
          String(m.version),
          String(m.verdict),
          number(m.value),
          number(m.stable),
          number(m.limit),
          `${m.samples}/${m.stable_samples}`,
        ]),
      ),
    )
  const events = doc.decisions.filter((d) => d.kind !== 'measurement').slice(0, 8)
  if (events.length > 0) lines.push('', ...events.map((d) => `${d.at}  ${d.kind.padEnd(8)}  ${d.message}`))
  return lines.join('\n')
}
