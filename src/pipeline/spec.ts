import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { SluiceError } from '../core/errors.js'
import { parseYamlWith } from '../core/yaml.js'
import { BUILTINS, type BuiltinContext, type BuiltinName, isRegistryRef } from './builtins.js'
import { buildDag } from './dag.js'
import { checkOuts, guardedPaths, type StatePaths } from './guard.js'

const STAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const normalise = (p: string) => path.posix.normalize(p.replaceAll('\\', '/')).replace(/\/$/, '')

/** A dep: relative to the folder of sluice.yaml; it may lie outside the project (`../data/x.parquet`). */
export const depPath = z
  .string()
  .min(1)
  .refine((p) => !path.isAbsolute(p), { message: 'expected a path relative to sluice.yaml (no leading /)' })
  .transform(normalise)

/** An out: a path inside the project, written relative to the folder of sluice.yaml. */
export const projectPath = z
  .string()
  .min(1)
  .refine((p) => !path.isAbsolute(p) && !normalise(p).startsWith('..') && normalise(p) !== '.', {
    message:
      'expected a path inside the project, relative to sluice.yaml (no leading / or .., not the project folder itself)',
  })
  .transform(normalise)

const stageSchema = z
  .strictObject({
    /** Any shell command, run by `sh -c` in the project folder. */
    cmd: z.string().min(1).optional(),
    /** A built-in stage instead of a command. */
    uses: z.enum(Object.keys(BUILTINS) as [BuiltinName, ...BuiltinName[]]).optional(),
    /** The built-in's inputs (checked against the built-in's own schema). */
    with: z.record(z.string(), z.unknown()).optional(),
    deps: z.array(depPath).default([]),
    /** Keys of params.yaml (dotted for nesting) whose values the stage depends on. */
    params: z.array(z.string().min(1)).default([]),
    outs: z.array(projectPath).default([]),
    /** JSON files the stage writes; cached like outs and recorded with the run. */
    metrics: z.array(projectPath).default([]),
    /** Environment variables whose values are part of the cache key. */
    env: z.array(z.string().regex(ENV_NAME, 'expected an environment variable name')).default([]),
    /** Run every time, never from the cache (for stages that read state outside their deps). */
    always_run: z.boolean().default(false),
  })
  .refine((s) => (s.cmd === undefined) !== (s.uses === undefined), {
    message: 'give exactly one of "cmd" (a shell command) or "uses" (a built-in such as sluice/train)',
  })
  .refine((s) => s.uses !== undefined || s.with === undefined, {
    message: '"with" is for built-in stages; a "cmd" stage takes its inputs on the command line',
  })

const pipelineFileSchema = z.looseObject({
  stages: z
    .record(z.string().regex(STAGE_NAME, 'stage names use letters, digits, "-" and "_"'), stageSchema)
    .optional(),
})

export type StageSpec = z.output<typeof stageSchema>

/** One stage, with its built-in expanded: what runs, what it reads, what it writes. */
export interface Stage {
  name: string
  /** The shell command, or the sluice command line a built-in stands for (for display and the cache key). */
  command: string
  /** Arguments of `sluice` for a built-in stage; null for a shell command. */
  builtin: { uses: BuiltinName; args: string[] } | null
  deps: string[]
  params: string[]
  outs: string[]
  metrics: string[]
  env: string[]
  alwaysRun: boolean
  /** Extra inputs of the cache key (a gate stage's rules from sluice.yaml). */
  keyExtras: Record<string, unknown>
  /** Files among the deps that configure a check (a contract, gate rules): no stage may write them. */
  config: string[]
  /** A gate's registered baseline, resolved when it runs (see BuiltinPlan.baseline); null for other stages. */
  baseline: { ref: string; candidate: string | null } | null
}

export interface Pipeline {
  /** The folder of sluice.yaml; every stage runs there and every path is relative to it. */
  root: string
  file: string
  stages: Stage[]
  /** The stages as written (recorded with each run, for `sluice reproduce`). */
  spec: Record<string, StageSpec>
  params: ParamsFile
  /** The `gates:` section of sluice.yaml, as written. */
  gates: unknown
}

export interface ParamsFile {
  file: string
  values: Record<string, unknown>
}

export const PARAMS_FILE = 'params.yaml'

/**
 * Reads and checks the pipeline of a sluice.yaml (and its params.yaml); errors name the key and
 * line. The stages must form a DAG, and no out may touch sluice's state (`state`, when given: the
 * resolved home, store and artifact store), the config file, params.yaml, or a contract or rules
 * file (see guard.ts).
 */
export function loadPipeline(file: string, state?: StatePaths): Pipeline {
  if (!existsSync(file)) {
    throw new SluiceError(
      'INVALID_CONFIG',
      `${file} does not exist; a pipeline is declared under "stages:" in sluice.yaml (see docs/pipelines.md)`,
    )
  }
  const text = readFileSync(file, 'utf8')
  const shown = path.relative(process.cwd(), file) || file
  const parsed = parseYamlWith(pipelineFileSchema, text, shown)
  const root = path.dirname(path.resolve(file))
  const params = loadParams(path.join(root, PARAMS_FILE))
  const spec = parsed.stages ?? {}
  const registers = Object.values(spec)
    .filter((s) => s.uses === 'sluice/register' && typeof s.with?.name === 'string')
    .map((s) => s.with!.name as string)
  // Evaluation file → the model file it is of, for gates that compare it with a registered model.
  const evaluated = new Map<string, string>()
  for (const s of Object.values(spec)) {
    const { out, model } = (s.with ?? {}) as { out?: unknown; model?: unknown }
    if (s.uses === 'sluice/evaluate' && typeof out === 'string' && typeof model === 'string')
      if (!isRegistryRef(model)) evaluated.set(normalise(out), normalise(model))
  }
  const stages = Object.entries(spec).map(([name, s]) => {
    if (!s.uses) return cmdStage(name, s)
    const builtin = BUILTINS[s.uses]
    // Checked again on its own so errors in `with` point at their line.
    const checked = parseYamlWith(
      z.looseObject({ stages: z.looseObject({ [name]: z.looseObject({ with: builtin.schema }) }) }),
      text,
      shown,
    ) as { stages: Record<string, { with: unknown }> }
    const w = checked.stages[name]!.with
    return builtinStage(name, s, w, params, {
      gates: (parsed as { gates?: unknown }).gates,
      registers,
      modelEvaluatedIn: (evaluation) => evaluated.get(normalise(evaluation)) ?? null,
    })
  })
  buildDag(stages)
  checkOuts(stages, root, guardedPaths({ file: path.resolve(file), params: params.file, stages }, state))
  return {
    root,
    file: path.resolve(file),
    stages,
    spec,
    params,
    gates: (parsed as { gates?: unknown }).gates ?? null,
  }
}

function cmdStage(name: string, s: StageSpec): Stage {
  return {
    name,
    command: s.cmd!,
    builtin: null,
    deps: s.deps,
    params: s.params,
    outs: [...s.outs],
    metrics: s.metrics,
    env: s.env,
    alwaysRun: s.always_run,
    keyExtras: {},
    config: [],
    baseline: null,
  }
}

function builtinStage(
  name: string,
  s: StageSpec,
  w: unknown,
  params: ParamsFile,
  ctx: BuiltinContext,
): Stage {
  const builtin = BUILTINS[s.uses!]
  const values = Object.fromEntries(s.params.map((k) => [k, paramValue(params, k, name)]))
  const plan = builtin.plan(w as never, values, ctx)
  return {
    name,
    command: `sluice ${plan.args.map(quote).join(' ')}`,
    builtin: { uses: s.uses!, args: plan.args },
    deps: unique([...plan.deps.map(checked(name, depPath)), ...s.deps]),
    params: s.params,
    outs: unique([...plan.outs.map(checked(name, projectPath)), ...s.outs]),
    metrics: unique([...plan.metrics.map(checked(name, projectPath)), ...s.metrics]),
    env: s.env,
    alwaysRun: s.always_run || plan.alwaysRun,
    keyExtras: plan.keyExtras ?? {},
    config: (plan.config ?? []).map(checked(name, depPath)),
    baseline: plan.baseline ?? null,
  }
}

export function loadParams(file: string): ParamsFile {
  if (!existsSync(file)) return { file, values: {} }
  const values = parseYamlWith(z.record(z.string(), z.unknown()), readFileSync(file, 'utf8'), PARAMS_FILE)
  return { file, values }
}

/** The value of a dotted key of params.yaml; a missing key is an error naming the stage. */
export function paramValue(params: ParamsFile, key: string, stage: string): unknown {
  let v: unknown = params.values
  for (const part of key.split('.')) {
    if (v === null || typeof v !== 'object' || !(part in (v as object))) {
      throw new SluiceError(
        'INVALID_CONFIG',
        `stage "${stage}" depends on param "${key}", which is not in ${PARAMS_FILE}; add it there or remove it from the stage's params`,
      )
    }
    v = (v as Record<string, unknown>)[part]
  }
  return v
}

/** A built-in's file inputs obey the same rule as deps and outs written by hand. */
const checked = (stage: string, schema: typeof projectPath) => (p: string) => {
  const r = schema.safeParse(p)
  if (!r.success)
    throw new SluiceError('INVALID_CONFIG', `stage "${stage}": "${p}": ${r.error.issues[0]!.message}`)
  return r.data
}

const unique = (xs: string[]) => [...new Set(xs)]
const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)
