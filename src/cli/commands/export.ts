import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { writeAtomically } from '../../core/atomic.js'
import { SluiceError } from '../../core/errors.js'
import type { RolloutSpec } from '../../rollout/spec.js'
import { openLocal, resolveConfig } from '../context.js'
import type { Runner } from '../run.js'

const TARGETS = ['kserve', 'argo-rollouts'] as const

/** `sluice export kserve|argo-rollouts D`: the deployment and its rollout as Kubernetes manifests. */
export function exportCommand(program: Command, run: Runner) {
  program
    .command('export')
    .description(
      'write a deployment and its rollout as Kubernetes manifests (KServe InferenceService or Argo Rollouts)',
    )
    .argument('<target>', TARGETS.join(' or '))
    .argument('<deployment>', 'deployment')
    .option('--candidate <ref>', 'plan a canary of NAME@REF instead of exporting the running rollout')
    .option('--strategy <kind>', 'with --candidate: canary (the strategy clusters can run)', 'canary')
    .option('--steps <weights>', 'with --candidate: percentages to step through (default 10,25,50,100)')
    .option('--pause <duration>', 'with --candidate: time at each step, or manual (default 30s)')
    .option('--analysis <file>', 'with --candidate: YAML with the analysis rules')
    .option('--strategy-file <file>', 'with --candidate: YAML with the whole rollout')
    .option(
      '--storage-uri <prefix>',
      'where the pods find model files: PREFIX/NAME/VERSION/model.onnx',
      '/models',
    )
    .option('--image <image>', 'container image with sluice (default ghcr.io/sluice/sluice:latest)')
    .option('--namespace <ns>', 'Kubernetes namespace')
    .option('--prometheus <url>', 'Prometheus address for the Argo analysis')
    .option('--out <file>', 'write the YAML here instead of printing it')
    .action(
      run(async (o, cmd) => {
        const [target, name] = cmd.args as [string, string]
        if (!(TARGETS as readonly string[]).includes(target))
          throw new SluiceError('USAGE', `unknown export target "${target}"; use ${TARGETS.join(' or ')}`)
        const registry = await openLocal(resolveConfig(o))
        try {
          const deployment = await registry.store.deployments.getDeployment(name)
          if (!deployment)
            throw new SluiceError(
              'NOT_FOUND',
              `deployment "${name}" not found; list them with \`sluice deployments list\``,
            )
          const uri = (model: string, version: number) =>
            `${String(o.storageUri).replace(/\/$/, '')}/${model}/${version}/model.onnx`
          const stable = {
            name: deployment.model,
            version: deployment.version,
            storageUri: uri(deployment.model, deployment.version),
          }
          let spec: RolloutSpec | null = null
          let candidate: typeof stable | null = null
          if (o.candidate !== undefined) {
            const { buildPlan } = await import('../../rollout/plan.js')
            spec = buildPlan({
              strategy: o.strategy as 'canary',
              steps: o.steps as string | undefined,
              pause: o.pause as string | undefined,
              analysisFile: o.analysis as string | undefined,
              strategyFile: o.strategyFile as string | undefined,
            }).spec
            const v = await registry.getModelVersion(o.candidate as string)
            candidate = { name: v.name, version: v.version, storageUri: uri(v.name, v.version) }
          } else {
            const running = await registry.store.rollouts.latestRollout(name)
            if (running && running.phase !== 'promoted' && running.phase !== 'aborted') {
              spec = running.spec as unknown as RolloutSpec
              const arm = deployment.routing?.arms.find((a) => a.role !== 'stable')
              if (arm)
                candidate = { name: arm.model, version: arm.version, storageUri: uri(arm.model, arm.version) }
            }
          }
          const { argoRolloutsManifest, kserveManifest } = await import('../../rollout/export.js')
          const input = {
            deployment: name,
            spec,
            stable,
            candidate,
            ...(o.namespace !== undefined && { namespace: o.namespace as string }),
            ...(o.image !== undefined && { image: o.image as string }),
            ...(o.prometheus !== undefined && { prometheusAddress: o.prometheus as string }),
          }
          const yaml = target === 'kserve' ? kserveManifest(input) : argoRolloutsManifest(input)
          if (o.out) {
            await writeAtomically(o.out as string, (tmp) => writeFile(tmp, yaml))
            process.stderr.write(`wrote ${o.out}\n`)
          } else process.stdout.write(yaml)
        } finally {
          await registry.close()
        }
      }),
    )
}
