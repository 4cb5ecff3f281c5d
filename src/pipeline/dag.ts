import { SluiceError } from '../core/errors.js'
import type { Stage } from './spec.js'

/** The stages in an order where every stage comes after the stages whose outs it reads. */
export interface Dag {
  order: Stage[]
  /** Stage name → names of the stages it reads from directly. */
  upstream: Map<string, string[]>
  /** Out (or metrics file) → the stage that writes it. */
  producer: Map<string, string>
}

/** `a` is `b`, or a file or folder inside folder `b`. */
export const within = (a: string, b: string) => a === b || a.startsWith(`${b}/`)
const overlap = (a: string, b: string) => within(a, b) || within(b, a)

const writes = (s: Stage) => [...s.outs, ...s.metrics]

/** Builds the DAG from deps and outs: two stages writing the same path, or a cycle, is an error naming them. */
export function buildDag(stages: Stage[]): Dag {
  const producer = new Map<string, string>()
  for (const s of stages) {
    for (const out of writes(s)) {
      for (const [other, owner] of producer) {
        if (overlap(out, other)) {
          const what =
            out === other ? `both write "${out}"` : `write "${other}" and "${out}", one inside the other`
          throw new SluiceError(
            'INVALID_CONFIG',
            `stages "${owner}" and "${s.name}" ${what}; every out must belong to exactly one stage`,
          )
        }
      }
      producer.set(out, s.name)
    }
  }
  const upstream = new Map<string, string[]>()
  for (const s of stages) {
    const from = new Set<string>()
    for (const dep of s.deps) {
      for (const [out, owner] of producer) {
        if (!overlap(dep, out)) continue
        if (owner === s.name)
          throw new SluiceError(
            'INVALID_CONFIG',
            `stage "${s.name}" reads what it writes: its dep "${dep}" ${dep === out ? 'is' : 'overlaps'} its out "${out}", and a stage cannot depend on itself; read the file from elsewhere, or write the out to another path`,
          )
        from.add(owner)
      }
    }
    upstream.set(s.name, [...from])
  }
  return { order: topologicalOrder(stages, upstream), upstream, producer }
}

function topologicalOrder(stages: Stage[], upstream: Map<string, string[]>): Stage[] {
  const state = new Map<string, 'visiting' | 'done'>()
  const byName = new Map(stages.map((s) => [s.name, s]))
  const order: Stage[] = []
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done') return
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name]
      throw new SluiceError(
        'INVALID_CONFIG',
        `the stages form a cycle: ${cycle.join(' → ')} (each reads an out of the next); break it by removing one of those deps`,
      )
    }
    state.set(name, 'visiting')
    for (const up of upstream.get(name) ?? []) visit(up, [...trail, name])
    state.set(name, 'done')
    order.push(byName.get(name)!)
  }
  for (const s of stages) visit(s.name, [])
  return order
}

/** The named stages and everything upstream of them, in DAG order; no names means every stage. */
export function selectStages(dag: Dag, targets: string[]): Stage[] {
  if (targets.length === 0) return dag.order
  const known = new Set(dag.order.map((s) => s.name))
  const wanted = new Set<string>()
  const add = (name: string) => {
    if (wanted.has(name)) return
    wanted.add(name)
    for (const up of dag.upstream.get(name) ?? []) add(up)
  }
  for (const t of targets) {
    if (!known.has(t)) {
      throw new SluiceError(
        'USAGE',
        `no stage named "${t}"; the pipeline's stages are ${[...known].join(', ') || '(none)'}`,
      )
    }
    add(t)
  }
  return dag.order.filter((s) => wanted.has(s.name))
}

/** Deps that neither exist nor are written by a stage: the pipeline cannot run. */
export function missingDeps(
  stages: Stage[],
  dag: Dag,
  exists: (p: string) => boolean,
): { stage: string; dep: string }[] {
  const missing: { stage: string; dep: string }[] = []
  for (const s of stages) {
    for (const dep of s.deps) {
      const produced = [...dag.producer.keys()].some((out) => overlap(dep, out))
      if (!produced && !exists(dep)) missing.push({ stage: s.name, dep })
    }
  }
  return missing
}
