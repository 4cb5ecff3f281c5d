import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { writeAtomically } from '../../core/atomic.js'
import { SluiceError } from '../../core/errors.js'
import { resolveConfig } from '../context.js'
import { makeOutput } from '../output.js'
import type { Runner } from '../run.js'

/** `sluice ci github`: writes the GitHub Actions workflow and the model server's Dockerfile. */
export function ciCommand(program: Command, run: Runner) {
  const ci = program.command('ci').description('continuous integration files')
  ci.command('github')
    .description('write .github/workflows/sluice.yml (tests → pipeline + gate → image) and a Dockerfile')
    .option(
      '--evaluation <file>',
      "evaluation to gate (default: the out of the pipeline's sluice/evaluate stage)",
    )
    .option('--against <ref>', 'model to gate against (default: NAME@champion of the sluice/register stage)')
    .option('--node <major>', 'Node.js version of the jobs and the image', '20')
    .option('--force', 'overwrite existing files')
    .option('--json', 'print a sluice.ci/v1 document')
    .action(
      run(async (o) => {
        const { loadPipeline } = await import('../../pipeline/spec.js')
        const { statePaths } = await import('../../pipeline/guard.js')
        const { dockerfile, githubWorkflow } = await import('../../pipeline/github.js')
        const config = resolveConfig(o)
        const pipeline = loadPipeline(config.file ?? 'sluice.yaml', statePaths(config))
        const withOf = (uses: string) =>
          Object.values(pipeline.spec).find((s) => s.uses === uses)?.with as
            | Record<string, unknown>
            | undefined
        const evaluation =
          (o.evaluation as string | undefined) ?? (withOf('sluice/evaluate')?.out as string | undefined)
        if (!evaluation)
          throw new SluiceError(
            'USAGE',
            'the pipeline has no sluice/evaluate stage; name the evaluation the pipeline writes with --evaluation FILE',
          )
        const registered = withOf('sluice/register')?.name as string | undefined
        const against = (o.against as string | undefined) ?? (registered ? `${registered}@champion` : null)
        const files = {
          [path.join(pipeline.root, '.github', 'workflows', 'sluice.yml')]: githubWorkflow({
            evaluation,
            against,
            node: o.node as string,
          }),
          [path.join(pipeline.root, 'Dockerfile')]: dockerfile({ node: o.node as string }),
        }
        const existing = Object.keys(files).filter((f) => existsSync(f))
        if (existing.length && !o.force)
          throw new SluiceError(
            'CONFLICT',
            `${existing.join(' and ')} already exist; pass --force to overwrite`,
          )
        for (const [file, text] of Object.entries(files))
          await writeAtomically(file, (tmp) => writeFile(tmp, text))
        const written = Object.keys(files).map((f) => path.relative(process.cwd(), f))
        makeOutput(Boolean(o.json)).result(
          { schema: 'sluice.ci/v1', files: written, evaluation, against },
          () =>
            `wrote ${written.join(' and ')}\nset the repository variables IMAGE_REGISTRY and IMAGE_NAME and the secrets REGISTRY_USERNAME and REGISTRY_PASSWORD`,
        )
      }),
    )
}
