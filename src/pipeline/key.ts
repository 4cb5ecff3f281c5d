import { execFileSync } from 'node:child_process'
import type { EnvironmentFingerprint } from '../core/environment.js'
import { sha256Bytes } from '../core/hash.js'
import type { ArtifactRef } from '../core/types.js'
import type { Stage } from './spec.js'

/** Everything a stage's result depends on. Its hash is the stage's cache key. */
export interface KeyMaterial {
  command: string
  deps: Record<string, string>
  params: Record<string, unknown>
  env: Record<string, string | null>
  outs: string[]
  /** Node and Python versions and lockfile hashes (plus sluice's version for built-in stages). */
  fingerprint: Record<string, unknown>
  extras: Record<string, unknown>
  /** A gate's registered baseline as resolved for this run (gates with `against` only). */
  baseline?: BaselineKey
}

export interface BaselineKey {
  /** `against` as written, e.g. `flight-delay@champion`. */
  ref: string
  /** The baseline's artifact digest; `the candidate` when it is the candidate model; or why there is none. */
  against: string
  /** The candidate model's digest, when the pipeline knows which model was evaluated. */
  candidate: string | null
}

export function keyMaterial(
  stage: Stage,
  deps: Record<string, ArtifactRef>,
  params: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  environment: EnvironmentFingerprint & { python?: string | null },
  baseline?: BaselineKey,
): KeyMaterial {
  return {
    command: stage.command,
    deps: Object.fromEntries(Object.entries(deps).map(([p, ref]) => [p, ref.digest])),
    params,
    env: Object.fromEntries(stage.env.map((name) => [name, env[name] ?? null])),
    outs: [...stage.outs, ...stage.metrics].sort(),
    fingerprint: {
      node: environment.node,
      ...(usesPython(stage) && { python: environment.python ?? null }),
      ...(stage.builtin && { sluice: environment.sluice }),
      lockfiles: environment.lockfiles,
    },
    extras: stage.keyExtras,
    ...(baseline && { baseline }),
  }
}

export const stageKey = (m: KeyMaterial) => sha256Bytes(canonicalJson({ v: 1, ...m }))

/** JSON with object keys sorted at every depth, so equal values give equal bytes. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

/** A stage "uses Python" when its command or one of its deps says so; its key then includes Python's version. */
export function usesPython(stage: Stage): boolean {
  return (
    /\b(python[0-9.]*|pip|uv|poetry|conda)\b/.test(stage.command) || stage.deps.some((d) => d.endsWith('.py'))
  )
}

/** `python3 --version`, or null when there is none. */
export function pythonVersion(): string | null {
  try {
    const out = execFileSync('python3', ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return out.trim().replace(/^Python\s+/, '')
  } catch {
    return null
  }
}
