import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { writeAtomically } from '../../core/atomic.js'
import { isoNow } from '../../core/clock.js'
import { SluiceError } from '../../core/errors.js'
import { SLUICE_VERSION } from '../../core/version.js'
import { resolveConfig } from '../context.js'
import { makeOutput } from '../output.js'
import type { Runner } from '../run.js'

/** `sluice ci github`: writes the GitHub Actions workflow and the model server's Dockerfile. */
export function ciCommand(program: Command, run: Runner) {
  const ci = program.command('ci').description('continuous integration files')
  ci.command('github')
    .description(
      'write .github/workflows/sluice.yml (tests → pipeline with its gate → image) and a Dockerfile serving the model',
    )
    .option(
      '--model <ref>',
      "NAME@REF the image serves (default: NAME@ALIAS of the pipeline's sluice/register stage)",
    )
    .option('--deployment <name>', 'deployment the image answers for (default: the model name)')
    .option('--node <version>', 'Node.js version of the jobs and the image (an LTS line)', '24')
    .option('--branch <name>', 'branch whose pushes build and push the image', 'main')
    .option('--port <port>', 'port the image listens on', '8321')
    .option('--force', 'overwrite existing files')
    .option('--json', 'print a sluice.ci/v1 document')
    .action(
      run(async (o) => {
        const { loadPipeline } = await import('../../pipeline/spec.js')
        const { readCiFacts } = await import('../../pipeline/ci-project.js')
        const { statePaths } = await import('../../pipeline/guard.js')
        const { planCi, WORKFLOW_FILE, DOCKERFILE } = await import('../../pipeline/ci-plan.js')
        const { dockerfile, githubWorkflow } = await import('../../pipeline/github.js')
        const config = o.config ?? 'sluice.yaml'
        // Refused as run refuses it: an out over the home (as resolved for this folder) or the config.
        const facts = readCiFacts(loadPipeline(path.resolve(config), statePaths(resolveConfig(o))))
        const plan = planCi(facts, {
          model: o.model as string | undefined,
          deployment: o.deployment as string | undefined,
          node: o.node as string,
          branch: o.branch as string,
          port: port(o.port as string),
          sluiceVersion: SLUICE_VERSION,
          today: isoNow().slice(0, 10),
        })
        const files = {
          [path.join(facts.repoRoot, WORKFLOW_FILE)]: githubWorkflow(plan),
          [path.join(facts.repoRoot, plan.packageDir, DOCKERFILE)]: dockerfile(plan),
        }
        const shown = (f: string) => path.relative(process.cwd(), f) || f
        const existing = Object.keys(files).filter((f) => existsSync(f))
        if (existing.length && !o.force)
          throw new SluiceError(
            'CONFLICT',
            `${existing.map(shown).join(' and ')} already exist; pass --force to overwrite`,
          )
        for (const [file, text] of Object.entries(files))
          await writeAtomically(file, (tmp) => writeFile(tmp, text))
        for (const w of plan.warnings) process.stderr.write(`sluice: warning: ${w}\n`)
        const doc = {
          schema: 'sluice.ci/v1',
          files: Object.keys(files).map(shown),
          model: plan.serve.model,
          deployment: plan.serve.deployment,
          gates: plan.gates,
          paths: plan.paths,
          unfiltered: plan.unfiltered,
          test_job: plan.testJob,
          warnings: plan.warnings,
        }
        makeOutput(Boolean(o.json)).result(doc, () => human(doc))
      }),
    )
}

function port(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!(n >= 1 && n <= 65535))
    throw new SluiceError('USAGE', `--port must be a whole number from 1 to 65535, got "${text}"`)
  return n
}

function human(doc: {
  files: string[]
  model: string
  deployment: string
  gates: { stage: string; junit: string | null; markdown: string | null }[]
  paths: string[]
  unfiltered: { path: string; reason: string }[]
  test_job: boolean
}): string {
  const lines = [
    `wrote ${doc.files.join(' and ')}`,
    `jobs: ${doc.test_job ? 'npm test → ' : ''}sluice run (gate before register) → image on pushes`,
    `the image serves ${doc.model} as the deployment ${doc.deployment}`,
    ...doc.gates.map(
      (g) =>
        `gate stage ${g.stage}: ${[g.markdown && `${g.markdown} → job summary`, g.junit && `${g.junit} → check`].filter(Boolean).join(', ') || 'no report to publish'}`,
    ),
    `pushes that change one of ${doc.paths.length} paths run it`,
    ...doc.unfiltered.map((u) => `  not among them: ${u.path} (${u.reason})`),
    'set the repository variables IMAGE_REGISTRY and IMAGE_NAME and the secrets REGISTRY_USERNAME and REGISTRY_PASSWORD',
  ]
  return lines.join('\n')
}
