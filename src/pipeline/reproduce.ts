import { existsSync } from 'node:fs'
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { stringify } from 'yaml'
import { openArtifactStore } from '../artifacts/open.js'
import { getToPath } from '../artifacts/transfer.js'
import type { ArtifactStore } from '../artifacts/types.js'
import { SluiceError } from '../core/errors.js'
import { sha256File } from '../core/hash.js'
import type { ModelVersionDoc } from '../core/types.js'
import { openStore } from '../store/open.js'
import type { RunRecord, Store } from '../store/types.js'
import { buildDag, selectStages, within } from './dag.js'
import { statePaths } from './guard.js'
import { FileHasher } from './hasher.js'
import { type RunEvent, runPipeline } from './runner.js'
import { loadPipeline, PARAMS_FILE } from './spec.js'

export interface ReproduceDoc {
  schema: 'sluice.reproduce/v1'
  model: { name: string; version: number; digest: string; path: string }
  run_id: string
  /** True when the re-run wrote a byte-identical model. */
  matches: boolean
  reproduced_digest: string | null
  /** Every out of the re-run stages, recorded digest beside reproduced digest. */
  outs: {
    stage: string
    path: string
    recorded: string | null
    reproduced: string | null
    matches: boolean
  }[]
  status: RunRecord['status']
  folder: string | null
}

export interface ReproduceOptions {
  version: ModelVersionDoc
  store: Store
  artifacts: ArtifactStore
  /** How to run sluice for built-in stages, given the scratch home and config file. */
  sluice(home: string, config: string): string[]
  keep?: boolean
  onEvent?: (e: RunEvent) => void
  signal?: AbortSignal
  /** Aborting kills the running stages at once. */
  kill?: AbortSignal
}

/**
 * Re-runs the pipeline run that produced a registered model, at its recorded inputs, in a scratch
 * folder with a fresh home: the recorded stages, params and gate rules are written out, the deps
 * pinned by the run are restored from the artifact store, and the stages that lead to the model
 * run with nothing cached. The model matches when its digest equals the registered artifact's.
 */
export async function reproduce(o: ReproduceOptions): Promise<ReproduceDoc> {
  const v = o.version
  const ref = `${v.name}@${v.version}`
  if (!v.lineage.run_id)
    throw new SluiceError(
      'INVALID_INPUT',
      `${ref} was not registered by a pipeline run (it has no run id); only versions registered by a sluice/register stage can be reproduced`,
    )
  const modelPath = v.tags['sluice.model_path']
  if (!modelPath)
    throw new SluiceError(
      'INVALID_INPUT',
      `${ref} does not record which pipeline out is its model (tag sluice.model_path)`,
    )
  const run = await o.store.pipeline.getRun(v.lineage.run_id)
  if (!run)
    throw new SluiceError(
      'NOT_FOUND',
      `run ${v.lineage.run_id} that produced ${ref} is not in this home's store`,
    )

  // The scratch folder sits beside the project, so deps outside it (`../data/x`) resolve the same,
  // and sees the project's node_modules, so stage scripts import what they imported.
  const root = run.pipeline.root
  const folder = await mkdtemp(path.join(path.dirname(root), `.${path.basename(root)}-reproduce-`))
  if (existsSync(path.join(root, 'node_modules')))
    await symlink(path.join(root, 'node_modules'), path.join(folder, 'node_modules'), 'dir')
  try {
    await writeFile(
      path.join(folder, 'sluice.yaml'),
      stringify({
        stages: run.pipeline.stages,
        ...(run.pipeline.gates ? { gates: run.pipeline.gates } : {}),
      }),
    )
    await writeFile(path.join(folder, PARAMS_FILE), stringify(run.pipeline.params ?? {}))
    const home = path.join(folder, '.sluice')
    const config = {
      store: { backend: 'sqlite' as const, path: path.join(home, 'sluice.db') },
      artifacts: { backend: 'fs' as const, path: path.join(home, 'artifacts') },
    }
    const pipeline = loadPipeline(path.join(folder, 'sluice.yaml'), statePaths({ home, ...config }))
    const dag = buildDag(pipeline.stages)
    const producer = [...dag.producer].find(([out]) => within(modelPath, out))?.[1]
    if (!producer)
      throw new SluiceError(
        'INVALID_INPUT',
        `no stage of run ${run.id} writes ${modelPath}; it cannot be reproduced`,
      )
    const stages = selectStages(dag, [producer])

    // Restore the inputs no stage writes, exactly as the run read them.
    const outside = new FileHasher(o.store.pipeline, folder)
    const produced = (p: string) => [...dag.producer.keys()].some((out) => within(p, out) || within(out, p))
    for (const s of stages) {
      const recorded = run.stages.find((r) => r.name === s.name)
      if (!recorded?.key)
        throw new SluiceError(
          'INVALID_INPUT',
          `stage "${s.name}" did not complete in run ${run.id}; nothing to reproduce from`,
        )
      for (const [dep, artifact] of Object.entries(recorded.deps)) {
        if (produced(dep)) continue
        if (dep.startsWith('../')) {
          // Outside the project: read in place, so it must still hold what the run read (file or folder).
          const now = await outside.hash(dep).catch(() => null)
          if (now?.digest !== artifact.digest)
            throw new SluiceError(
              'CONFLICT',
              `${dep} (outside the project) changed since run ${run.id}; restore it as it was to reproduce ${ref}`,
            )
          continue
        }
        if (!existsSync(path.join(folder, dep)))
          await getToPath(o.artifacts, artifact, path.join(folder, dep))
      }
    }

    const store = await openStore(config)
    let rerun: RunRecord
    try {
      rerun = await runPipeline({
        pipeline,
        targets: [producer],
        force: true,
        store,
        artifacts: openArtifactStore(config),
        sluice: o.sluice(home, path.join(folder, 'sluice.yaml')),
        ...(o.onEvent && { onEvent: o.onEvent }),
        ...(o.signal && { signal: o.signal }),
        ...(o.kill && { kill: o.kill }),
      })
    } finally {
      await store.close()
    }
    const digestOf = async (rel: string) =>
      (await sha256File(path.join(folder, rel)).catch(() => null))?.digest ?? null
    const reproduced = await digestOf(modelPath)
    const outs: ReproduceDoc['outs'] = []
    for (const s of rerun.stages) {
      const recorded = run.stages.find((r) => r.name === s.name)
      for (const [rel, artifact] of Object.entries(s.outs)) {
        const before = recorded?.outs[rel]?.digest ?? null
        outs.push({
          stage: s.name,
          path: rel,
          recorded: before,
          reproduced: artifact.digest,
          matches: before === artifact.digest,
        })
      }
    }
    return {
      schema: 'sluice.reproduce/v1',
      model: { name: v.name, version: v.version, digest: v.artifact.digest, path: modelPath },
      run_id: run.id,
      matches: reproduced === v.artifact.digest,
      reproduced_digest: reproduced,
      outs,
      status: rerun.status,
      folder: o.keep ? folder : null,
    }
  } finally {
    if (!o.keep) await rm(folder, { recursive: true, force: true })
  }
}
