import { z } from 'zod'

/**
 * Built-in stages (`uses: sluice/…`). Each is a sluice command line: the built-in knows which of
 * its inputs are files it reads (deps) and which it writes (outs and metrics), so a stage needs no
 * deps/outs of its own. Paths are relative to the project folder.
 */
export interface BuiltinPlan {
  args: string[]
  deps: string[]
  outs: string[]
  metrics: string[]
  /** The stage reads registry state (e.g. `model: NAME@champion`), so it never comes from the cache. */
  alwaysRun: boolean
  /**
   * A gate's registered baseline (`against`): resolved when the stage runs, its artifact digest is
   * part of the cache key. `candidate` is the model file the gated evaluation is of, when a
   * sluice/evaluate stage of the pipeline says so: a baseline that is the candidate itself (the
   * pipeline registered it and moved the alias on an earlier run) is satisfied by the earlier result.
   */
  baseline?: { ref: string; candidate: string | null }
  keyExtras?: Record<string, unknown>
  /** Deps that configure the check (a contract, gate rules) rather than feed it data: no stage may write them. */
  config?: string[]
}

export interface BuiltinContext {
  /** The `gates:` section of sluice.yaml. */
  gates: unknown
  /** Model names the pipeline's sluice/register stages register. */
  registers: string[]
  /** The model file a sluice/evaluate stage of the pipeline evaluated into this file, or null. */
  modelEvaluatedIn(evaluation: string): string | null
}

interface Builtin<S extends z.ZodType> {
  schema: S
  plan(w: z.output<S>, params: Record<string, unknown>, ctx: BuiltinContext): BuiltinPlan
}

const file = z.string().min(1)
const names = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])
const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v])
const opt = (flag: string, v: string | number | undefined) => (v === undefined ? [] : [flag, String(v)])
/** A model given as a file is a dep; NAME@REF is read from the registry. */
export const isRegistryRef = (m: string) => /^[A-Za-z0-9][\w.-]*@[\w.-]+$/.test(m) && !m.includes('/')

const define = <S extends z.ZodType>(b: Builtin<S>) => b

export const BUILTINS = {
  'sluice/validate': define({
    schema: z.strictObject({ data: file, contract: file, reference: file.optional(), out: file.optional() }),
    plan: (w) => ({
      args: [
        'validate',
        w.data,
        '--contract',
        w.contract,
        ...opt('--reference', w.reference),
        ...opt('--out', w.out),
      ],
      deps: [w.data, w.contract, ...list(w.reference)],
      outs: [],
      metrics: list(w.out),
      alwaysRun: false,
      config: [w.contract],
    }),
  }),
  'sluice/train': define({
    schema: z.strictObject({
      algo: z.string().min(1),
      data: file,
      target: z.string().min(1),
      features: names,
      categorical: names.optional(),
      task: z.enum(['classification', 'regression']).optional(),
      seed: z.number().int().min(0).optional(),
      /** Trainer parameters written inline; the stage's `params:` keys of params.yaml are added to them. */
      params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
      out: file,
    }),
    plan: (w, params) => {
      const merged: Record<string, unknown> = { ...w.params }
      for (const [key, value] of Object.entries(params)) {
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) Object.assign(merged, value)
        else merged[key.split('.').pop()!] = value
      }
      return {
        args: [
          'train',
          '--algo',
          w.algo,
          '--data',
          w.data,
          '--target',
          w.target,
          '--features',
          list(w.features).join(','),
          ...(w.categorical ? ['--categorical', list(w.categorical).join(',')] : []),
          ...opt('--task', w.task),
          '--seed',
          String(w.seed ?? 0),
          ...Object.entries(merged)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .flatMap(([k, v]) => ['--param', `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`]),
          '--out',
          w.out,
        ],
        deps: [w.data],
        outs: [w.out],
        metrics: [],
        alwaysRun: false,
      }
    },
  }),
  'sluice/evaluate': define({
    schema: z.strictObject({
      model: z.string().min(1),
      data: file,
      target: z.string().min(1),
      slice_by: names.optional(),
      id: z.string().min(1).optional(),
      out: file,
      predictions_out: file.optional(),
    }),
    plan: (w) => ({
      args: [
        'evaluate',
        w.model,
        '--data',
        w.data,
        '--target',
        w.target,
        ...list(w.slice_by).flatMap((c) => ['--slice-by', c]),
        ...opt('--id', w.id),
        '--out',
        w.out,
        ...opt('--predictions-out', w.predictions_out),
      ],
      deps: [...(isRegistryRef(w.model) ? [] : [w.model]), w.data],
      outs: list(w.predictions_out),
      metrics: [w.out],
      alwaysRun: isRegistryRef(w.model),
    }),
  }),
  'sluice/gate': define({
    schema: z
      .strictObject({
        evaluation: file,
        /** Compare with a registered model, e.g. `flight-delay@champion`, evaluated on the same data. */
        against: z.string().min(1).optional(),
        baseline: file.optional(),
        rules: file.optional(),
        junit: file.optional(),
        markdown: file.optional(),
        out: file.optional(),
        seed: z.number().int().min(0).optional(),
        resamples: z.number().int().min(1).optional(),
      })
      .refine((w) => !(w.against && w.baseline), { message: 'give "against" or "baseline", not both' }),
    plan: (w, _params, ctx) => ({
      args: [
        'gate',
        '--evaluation',
        w.evaluation,
        ...opt('--against', w.against),
        // The pipeline registers this model itself: on its first run there is no version to compare with.
        ...(w.against && ctx.registers.includes(w.against.split('@')[0]!) ? ['--new-model'] : []),
        ...opt('--baseline', w.baseline),
        ...opt('--rules', w.rules),
        ...opt('--junit', w.junit),
        ...opt('--markdown', w.markdown),
        ...opt('--out', w.out),
        ...opt('--seed', w.seed),
        ...opt('--resamples', w.resamples),
      ],
      deps: [w.evaluation, ...list(w.baseline), ...list(w.rules)],
      outs: [...list(w.junit), ...list(w.markdown)],
      metrics: list(w.out),
      alwaysRun: false,
      ...(w.against && { baseline: { ref: w.against, candidate: ctx.modelEvaluatedIn(w.evaluation) } }),
      // Rules from sluice.yaml are part of the key: editing them re-runs the gate.
      keyExtras: w.rules ? {} : { gates: ctx.gates ?? null },
      config: list(w.rules),
    }),
  }),
  'sluice/register': define({
    schema: z.strictObject({
      model: file,
      name: z.string().min(1),
      /** The gate result (from a sluice/gate stage's `out`): nothing is registered unless it passed. */
      gate: file,
      evaluation: file.optional(),
      /** Training data files, recorded as dataset versions with role train. */
      data: names.optional(),
      alias: z.string().min(1).optional(),
      out: file.optional(),
    }),
    plan: (w) => ({
      args: [
        'register',
        w.model,
        '--name',
        w.name,
        '--gate',
        w.gate,
        ...opt('--evaluation', w.evaluation),
        ...list(w.data).flatMap((d) => ['--data', d]),
        ...opt('--alias', w.alias),
        ...opt('--out', w.out),
      ],
      deps: [w.model, w.gate, ...list(w.evaluation), ...list(w.data)],
      outs: [],
      metrics: list(w.out),
      alwaysRun: false,
    }),
  }),
} as const

export type BuiltinName = keyof typeof BUILTINS
