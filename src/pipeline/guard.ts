import { lstatSync, readlinkSync, realpathSync } from 'node:fs'
import path from 'node:path'
import type { ResolvedConfig } from '../core/config.js'
import { SluiceError } from '../core/errors.js'
import type { Stage } from './spec.js'

/** Where sluice keeps its state: the resolved home, metadata store and artifact store. */
export interface StatePaths {
  home: string
  store: string
  artifacts: string
}

/** A path sluice itself reads (state or configuration): no stage may write it, inside it or around it. */
export interface Guarded {
  /** Absolute, with symbolic links resolved. */
  path: string
  /** What it is, for the message: `the sluice home`, `the contract of stage "validate"`. */
  what: string
  /** How to get out of the way, beyond writing the out elsewhere. */
  fix: string
}

export const statePaths = (c: Pick<ResolvedConfig, 'home' | 'store' | 'artifacts'>): StatePaths => ({
  home: c.home,
  store: c.store.path,
  artifacts: c.artifacts.path,
})

const MOVE_HOME = 'or move the home (home: in sluice.yaml, --home or SLUICE_HOME)'

/**
 * The paths the pipeline's outs must leave alone: sluice's state (home, store, artifacts) when
 * known, the config file, params.yaml, and every contract or rules file a stage names.
 */
export function guardedPaths(
  o: { file: string; params: string; stages: Stage[] },
  state: StatePaths | undefined,
): Guarded[] {
  const root = path.dirname(o.file)
  return [
    ...(state
      ? [
          { path: state.home, what: 'the sluice home', fix: MOVE_HOME },
          {
            path: state.store,
            what: 'the metadata store',
            fix: 'or move the store (store.path in sluice.yaml)',
          },
          {
            path: state.artifacts,
            what: 'the artifact store',
            fix: 'or move the artifact store (artifacts.path in sluice.yaml)',
          },
        ]
      : []),
    { path: o.file, what: 'the config file', fix: '' },
    { path: o.params, what: 'the params file', fix: '' },
    ...o.stages.flatMap((s) =>
      s.config.map((f) => ({
        path: path.resolve(root, f),
        what: `the ${describe(s)} of stage "${s.name}"`,
        fix: '',
      })),
    ),
  ].map((g) => ({ ...g, path: resolvedPath(g.path) }))
}

const describe = (s: Stage) => (s.builtin?.uses === 'sluice/gate' ? 'gate rules' : 'contract')

/**
 * Refuses outs (and metrics files) that are, hold or lie inside a guarded path: running or
 * restoring such a stage would delete or overwrite sluice's own state or the pipeline's
 * configuration. Paths are compared absolute, with symbolic links resolved.
 */
export function checkOuts(stages: Stage[], root: string, guarded: Guarded[]): void {
  const realRoot = resolvedPath(root)
  const problems: string[] = []
  for (const s of stages) {
    for (const out of [...s.outs, ...s.metrics]) {
      const abs = resolvedPath(path.join(realRoot, out))
      for (const g of guarded) {
        const relation = relationOf(abs, g.path)
        if (!relation) continue
        const shown = abs === path.join(realRoot, out) ? `"${out}"` : `"${out}" (${abs})`
        const harm = relation === 'lies inside' ? 'write into it' : 'delete it'
        problems.push(
          `stage "${s.name}": out ${shown} ${relation} ${g.what} ${g.path}; running the stage would ${harm}: write the out elsewhere${g.fix ? ` ${g.fix}` : ''}`,
        )
      }
    }
  }
  if (problems.length) throw new SluiceError('INVALID_CONFIG', problems.join('\n'))
}

/** How path `a` stands to path `b`, both absolute: the same, holding it, inside it, or apart (null). */
export function relationOf(a: string, b: string): 'is' | 'holds' | 'lies inside' | null {
  if (a === b) return 'is'
  if (inside(b, a)) return 'holds'
  if (inside(a, b)) return 'lies inside'
  return null
}

const inside = (a: string, b: string) => a.startsWith(b.endsWith(path.sep) ? b : `${b}${path.sep}`)

/**
 * An absolute path with every symbolic link resolved, also a link to something not yet written;
 * what does not exist yet is appended as normalised text, so neither `..` nor a link hides where
 * a path goes.
 */
export function resolvedPath(p: string, hops = 0): string {
  const abs = path.resolve(p)
  try {
    return realpathSync(abs)
  } catch {
    // Missing, or a link to something missing: follow the link by hand, then resolve the parent.
  }
  if (hops < 40 && lstatSync(abs, { throwIfNoEntry: false })?.isSymbolicLink())
    return resolvedPath(path.resolve(path.dirname(abs), readlinkSync(abs)), hops + 1)
  const parent = path.dirname(abs)
  return parent === abs ? abs : path.join(resolvedPath(parent, hops), path.basename(abs))
}
