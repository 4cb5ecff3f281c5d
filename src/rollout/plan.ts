import { readFileSync } from 'node:fs'
import type { z } from 'zod'
import { DURATION_EXAMPLES, parseDuration } from '../core/duration.js'
import { SluiceError } from '../core/errors.js'
import { parseYamlWith } from '../core/yaml.js'
import { statTest } from '../drift/stattests.js'
import {
  type AbTest,
  type Analysis,
  analysisFileSchema,
  type RolloutSpec,
  type Rule,
  type RuleSpec,
  type Step,
  type Strategy,
  strategyFileSchema,
} from './spec.js'

/** What `sluice deploy --strategy …` was given; a strategy file and flags combine (flags win). */
export interface PlanInput {
  strategy?: Strategy
  /** `--steps 10,25,50,100` */
  steps?: string
  /** `--pause 30s`, or `manual` (wait for `sluice rollout promote`). */
  pause?: string
  stickyKey?: string
  /** `--analysis FILE` */
  analysisFile?: YamlSource
  /** `--strategy-file FILE` */
  strategyFile?: YamlSource
}

/** A YAML file: its path, or its name and text (sent to a server by `--server`). */
export type YamlSource = string | { name: string; text: string }

const sourceName = (s: YamlSource) => (typeof s === 'string' ? s : s.name)

export interface Plan {
  spec: RolloutSpec
  /** A/B challengers from the strategy file (model references, resolved by the caller). */
  arms: { model: string; weight: number }[]
  /** A/B: the weight of the version given on the command line. */
  weight: number | null
}

const DEFAULT_STEPS = '10,25,50,100'
const DEFAULT_PAUSE_MS = 30_000

/**
 * Builds and checks a rollout's plan. Every mistake is a USAGE error that names the flag or the
 * file line: weights outside 0–100, steps that do not increase, unknown metrics or drift tests.
 */
export function buildPlan(input: PlanInput): Plan {
  const file = input.strategyFile ? readYaml(strategyFileSchema, input.strategyFile) : null
  const strategy = input.strategy ?? file?.strategy ?? 'canary'
  if (file && input.strategy && file.strategy !== input.strategy)
    throw usage(
      `--strategy ${input.strategy} contradicts "strategy: ${file.strategy}" in ${sourceName(input.strategyFile!)}; give one`,
    )
  const analysisSource = input.analysisFile
    ? readYaml(analysisFileSchema, input.analysisFile).analysis
    : file?.analysis
  const analysis = resolveAnalysis(strategy, analysisSource)
  const sticky = input.stickyKey ?? file?.sticky_key ?? null
  if (sticky !== null && !/^(header:)?[A-Za-z0-9_.-]+$/.test(sticky))
    throw usage(
      `sticky key "${sticky}" should be a request field (e.g. user_id) or header:NAME (e.g. header:x-user-id)`,
    )

  if (strategy === 'ab') {
    if (file?.steps)
      throw usage(
        `an A/B rollout has arms, not steps; remove "steps" from ${sourceName(input.strategyFile!)}`,
      )
    const arms = file?.arms ?? []
    const weightFlag = input.steps === undefined ? null : parseWeights(input.steps)
    if (weightFlag && weightFlag.length !== 1)
      throw usage('--steps for an A/B rollout is the one weight of the challenger, e.g. --steps 50')
    const others = arms.reduce((s, a) => s + a.weight, 0)
    // By default the command line's version splits what the file's arms leave with the stable.
    const weight = weightFlag?.[0] ?? (100 - others) / 2
    if (others + weight >= 100)
      throw usage(
        `the A/B arms take ${others + weight}% of traffic; leave the stable version (the control) some, below 100 in all`,
      )
    if (weight <= 0) throw usage('the A/B challenger needs a weight above 0, e.g. --steps 50')
    return {
      spec: { strategy, steps: [], sticky_key: sticky, analysis, test: resolveTest(file?.test) },
      arms,
      weight,
    }
  }
  if (file?.arms || file?.test) throw usage(`"arms" and "test" are for A/B rollouts (strategy: ab)`)
  const steps = file?.steps && input.steps === undefined ? file.steps : flagSteps(strategy, input)
  checkSteps(strategy, steps)
  return { spec: { strategy, steps, sticky_key: sticky, analysis, test: null }, arms: [], weight: null }
}

function flagSteps(strategy: Strategy, input: PlanInput): Step[] {
  const weights = parseWeights(input.steps ?? (strategy === 'shadow' ? '100' : DEFAULT_STEPS))
  let pause: number | null = DEFAULT_PAUSE_MS
  if (input.pause === 'manual') pause = null
  else if (input.pause !== undefined) {
    pause = parseDuration(input.pause)
    if (pause === null || pause <= 0)
      throw usage(`--pause "${input.pause}" is not a duration; use ${DURATION_EXAMPLES}, or manual`)
  }
  const steps: Step[] = []
  weights.forEach((w, i) => {
    steps.push({ setWeight: w })
    // A canary ends at its last weight (100 = everyone); a shadow watches its last share for a pause.
    if (i < weights.length - 1 || strategy === 'shadow') steps.push({ pause: { duration_ms: pause } })
  })
  return steps
}

function parseWeights(text: string): number[] {
  return text.split(',').map((s) => {
    const w = Number(s.trim())
    if (s.trim() === '' || !Number.isFinite(w) || w < 0 || w > 100)
      throw usage(
        `--steps: "${s.trim()}" is not a weight from 0 to 100; give percentages, e.g. --steps 10,25,50,100`,
      )
    return w
  })
}

function checkSteps(strategy: Strategy, steps: Step[]): void {
  const weights = steps.flatMap((s) => ('setWeight' in s ? [s.setWeight] : []))
  if (weights.length === 0) throw usage('the steps set no weight; start with e.g. setWeight: 10')
  for (let i = 1; i < weights.length; i++)
    if (weights[i]! <= weights[i - 1]!)
      throw usage(
        `the step weights must increase (${weights.join(', ')}): ${weights[i]} follows ${weights[i - 1]}; to go back, abort the rollout`,
      )
  if (weights[0] === 0)
    throw usage('the first weight is 0: the candidate would get no traffic; start above 0')
  // The analysis judges the candidate during pauses: without one it would be promoted unseen.
  if (!steps.some((s) => 'pause' in s))
    throw usage(
      `the steps have no pause, so the ${strategy} would be promoted before any analysis; add one after a weight (--pause 30s, or pause: {duration: 30s})`,
    )
  const full = steps.findIndex((s) => 'setWeight' in s && s.setWeight === 100)
  if (strategy === 'canary' && full >= 0 && full < steps.length - 1)
    throw usage(
      'the canary reaches 100% before its last step: the stable would get no traffic to compare with; end the steps at 100 (it is promoted there)',
    )
}

function resolveAnalysis(strategy: Strategy, a: z.output<typeof strategyFileSchema>['analysis']): Analysis {
  const minSamples = a?.min_samples ?? 20
  const specs = a?.rules ?? defaultRules(strategy)
  const names = new Set<string>()
  const rules = specs.map((r): Rule => {
    let name = r.name ?? r.metric
    for (let i = 2; names.has(name); i++) name = `${r.name ?? r.metric}#${i}`
    names.add(name)
    if (r.metric === 'prediction_drift') {
      const test = statTest(r.stattest ?? 'ks')
      if (!test)
        throw usage(
          `rule "${name}": unknown drift test "${r.stattest}"; use one of the drift engine's tests, e.g. ks, psi, wasserstein`,
        )
    }
    if (r.metric.startsWith('shadow_') && strategy !== 'shadow')
      throw usage(`rule "${name}": ${r.metric} is measured only in a shadow rollout (--strategy shadow)`)
    return { ...r, name, min_samples: r.min_samples ?? minSamples }
  })
  return { interval_ms: a?.interval ?? 2000, window_ms: a?.window ?? 30_000, rules }
}

/**
 * With no analysis given: error rate and p99 latency against the stable version, and drift of
 * the candidate's predictions away from the stable's; a shadow also on its disagreement.
 */
function defaultRules(strategy: Strategy): RuleSpec[] {
  const limits = { failure_limit: 0, consecutive_error_limit: 4 }
  const rules: RuleSpec[] = [
    { metric: 'error_rate', vs_stable: { max_increase: 0.05 }, ...limits },
    { metric: 'latency_p99', vs_stable: { max_ratio: 2, max_increase: 25 }, ...limits },
    { metric: 'prediction_drift', stattest: 'ks', threshold: 0.001, ...limits },
  ]
  if (strategy === 'shadow') rules.push({ metric: 'shadow_disagreement', max: 0.1, ...limits })
  return rules
}

function resolveTest(t: z.output<typeof strategyFileSchema>['test']): AbTest {
  const metric = t?.metric ?? 'error_rate'
  const lowerIsBetter = metric === 'error_rate' || metric === 'latency_ms'
  return {
    metric,
    goal: t?.goal ?? (lowerIsBetter ? 'minimize' : 'maximize'),
    alpha: t?.alpha ?? 0.05,
    min_samples: t?.min_samples ?? 500,
  }
}

function readYaml<S extends z.ZodType>(schema: S, source: YamlSource): z.output<S> {
  if (typeof source !== 'string') return parseYamlWith(schema, source.text, source.name)
  let text: string
  try {
    text = readFileSync(source, 'utf8')
  } catch (e) {
    throw new SluiceError('UNREADABLE_FILE', `cannot read ${source}: ${(e as Error).message}`)
  }
  return parseYamlWith(schema, text, source)
}

const usage = (message: string) => new SluiceError('USAGE', message)
