import { readManifest } from '../artifacts/manifest.js'
import type { ArtifactStore } from '../artifacts/types.js'
import { SluiceError } from '../core/errors.js'
import type { PipelineStore } from '../store/types.js'
import { within } from './dag.js'
import type { Stage } from './spec.js'

/**
 * A dep that lies inside another stage's out folder is read from that folder: an edge of the DAG.
 * But when the file is in the work tree and the folder's stage never wrote it (no result of that
 * stage holds it), it is a source file that happens to sit there, and running or restoring the
 * stage — which empties its out folder first — would delete it. Such a run is refused before
 * anything runs, naming both paths.
 */
export async function checkUnownedDeps(o: {
  /** The stages the run will bring up to date (each may empty its outs). */
  selected: Stage[]
  /** Every stage of the pipeline: any of them may read a file the run would delete. */
  stages: Stage[]
  exists(rel: string): boolean
  store: PipelineStore
  artifacts: ArtifactStore
}): Promise<void> {
  const problems: string[] = []
  for (const s of o.selected) {
    for (const out of [...s.outs, ...s.metrics]) {
      for (const reader of o.stages) {
        if (reader.name === s.name) continue
        for (const dep of reader.deps) {
          if (dep === out || !within(dep, out) || !o.exists(dep)) continue
          if (await wrote(o, s.name, out, dep)) continue
          problems.push(
            `stage "${s.name}" would delete ${dep}, which stage "${reader.name}" reads: it lies inside "${out}", an out of "${s.name}" that has never held it; move ${dep} out of ${out} (or list the files "${s.name}" writes as its outs), or delete it if "${s.name}" writes it`,
          )
        }
      }
    }
  }
  if (problems.length) throw new SluiceError('INVALID_CONFIG', problems.join('\n'))
}

/** True when the last completed result of `stage` had `dep` (a file or folder) inside its out folder `out`. */
async function wrote(
  o: { store: PipelineStore; artifacts: ArtifactStore },
  stage: string,
  out: string,
  dep: string,
): Promise<boolean> {
  const ref = (await o.store.lastCompletedStage(stage))?.stage.outs[out]
  if (ref?.kind !== 'dir') return false
  const manifest = await readManifest(o.artifacts, ref.digest).catch(() => null)
  return manifest?.files.some((f) => within(`${out}/${f.path}`, dep)) ?? false
}
