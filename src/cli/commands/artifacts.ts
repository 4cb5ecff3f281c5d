import type { Command } from 'commander'
import { formatBytes } from '../../registry/card.js'
import { durationMs } from '../args.js'
import { type GlobalOptions, withRegistry } from '../context.js'
import { makeOutput } from '../output.js'
import type { Runner } from '../run.js'

export function artifactsCommand(program: Command, run: Runner) {
  const artifacts = program.command('artifacts').description('maintain the content-addressed artifact store')

  artifacts
    .command('gc')
    .description(
      'delete blobs nothing references, leftovers of interrupted writes and upload spool files of stopped servers (dry run unless --yes)',
    )
    .option('--yes', 'really delete')
    .option('--grace <duration>', 'keep blobs written more recently than this (e.g. 1h, 0s)', '1h')
    .option('--json', 'print an artifacts-gc document')
    .action(
      run(async (o: GlobalOptions & { yes?: boolean; grace: string }) => {
        const out = makeOutput(Boolean(o.json))
        const graceMs = durationMs(o.grace, '--grace')
        const doc = await withRegistry(o, (r) => r.gcArtifacts({ apply: Boolean(o.yes), graceMs }))
        out.result(doc, () => {
          const verb = doc.dry_run ? 'would delete' : 'deleted'
          const lines = [
            ...doc.blobs.map((b) => `${verb} blob ${b.digest} (${formatBytes(b.size)})`),
            ...doc.temp_files.map((t) => `${verb} temp file ${t.name} (${formatBytes(t.size)}): ${t.reason}`),
            ...doc.spool_files.map(
              (t) => `${verb} spool file ${t.name} (${formatBytes(t.size)}): ${t.reason}`,
            ),
            `${verb} ${doc.blobs.length} blob(s), ${doc.temp_files.length} temp file(s) and ${doc.spool_files.length} spool file(s), ${formatBytes(doc.bytes)}; kept ${doc.kept}`,
          ]
          if (doc.dry_run && doc.blobs.length + doc.temp_files.length + doc.spool_files.length > 0)
            lines.push('run again with --yes to delete')
          return lines.join('\n')
        })
      }),
    )

  artifacts
    .command('verify')
    .description(
      "re-hash every stored blob and the server's copies of models, and check that everything referenced is stored (exit 1 on a problem)",
    )
    .option('--repair', 'replace damaged serving copies with fresh ones from the artifact store')
    .option('--json', 'print an artifacts-verify document')
    .action(
      run(async (o: GlobalOptions & { repair?: boolean }) => {
        const out = makeOutput(Boolean(o.json))
        const doc = await withRegistry(o, (r) => r.verifyArtifacts({ repair: Boolean(o.repair) }))
        const copies = doc.serving_copies
        out.result(doc, () =>
          [
            ...doc.corrupt.map((c) => `CORRUPT ${c.digest}: ${c.reason}`),
            ...doc.missing.map((d) => `MISSING ${d}: referenced but not stored`),
            ...copies.corrupt.map(
              (c) =>
                `${c.repaired ? 'REPAIRED' : 'CORRUPT'} serving copy ${c.path}: ${c.reason}` +
                (c.repaired ? '; copied again from the artifact store' : ''),
            ),
            `${doc.ok ? 'ok' : 'FAILED'}: ${doc.checked} blob(s), ${formatBytes(doc.bytes)} checked; ${doc.corrupt.length} corrupt, ${doc.missing.length} missing; ${copies.checked} serving cop${copies.checked === 1 ? 'y' : 'ies'} checked, ${copies.corrupt.filter((c) => !c.repaired).length} corrupt` +
              (doc.temp_files
                ? `; ${doc.temp_files} temp file(s) from interrupted writes (\`sluice artifacts gc\` removes them)`
                : ''),
          ]
            .concat(
              !o.repair && copies.corrupt.length > 0
                ? ['run again with --repair to replace the damaged serving copies from the artifact store']
                : [],
            )
            .join('\n'),
        )
        if (!doc.ok) process.exitCode = 1
      }),
    )
}
