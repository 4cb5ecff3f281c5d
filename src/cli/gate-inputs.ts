import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { isSluiceError, SluiceError } from '../core/errors.js'
import { sha256File } from '../core/hash.js'
import { loadFrame } from '../data/load.js'
import { type PairedPredictions, pairPredictions } from '../gates/paired.js'
import { type GateRules, parseGateRules } from '../gates/rules.js'
import { type EvaluationDoc, parseEvaluationDoc } from '../metrics/evaluation.js'
import { parseModelRef } from '../registry/refs.js'
import { type GlobalOptions, withRegistry } from './context.js'
import { modelFile } from './model-file.js'

/** The rules of `--rules FILE`, else of the `gates:` section of sluice.yaml (or `--config`). */
export async function loadGateRules(opts: GlobalOptions & { rules?: string }): Promise<GateRules> {
  if (opts.rules) {
    const rules = parseGateRules(await readText(opts.rules, 'rules file'), opts.rules)
    if (!rules)
      throw new SluiceError(
        'INVALID_CONFIG',
        `${opts.rules} has no "gates:" section; a rules file holds the rules under gates:, as sluice.yaml does`,
      )
    return rules
  }
  const config = path.resolve(opts.config ?? 'sluice.yaml')
  const rules = existsSync(config)
    ? parseGateRules(await readText(config, 'config file'), path.relative(process.cwd(), config) || config)
    : null
  if (!rules)
    throw new SluiceError(
      'USAGE',
      `no gate rules: add a "gates:" section to ${opts.config ?? 'sluice.yaml'} or pass --rules FILE (see docs/gates.md)`,
    )
  return rules
}

/** Reads a `sluice.evaluation/v1` JSON file. */
export async function readEvaluation(file: string): Promise<EvaluationDoc> {
  const text = await readText(file, 'evaluation')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new SluiceError(
      'INVALID_INPUT',
      `${file} is not JSON; write an evaluation with \`sluice evaluate … --out FILE\``,
    )
  }
  return parseEvaluationDoc(value, file)
}

export type Baseline =
  | { doc: EvaluationDoc; cleanup(): Promise<void> }
  /** No baseline to compare with, and why (e.g. no champion yet). */
  | { doc: null; note: string; cleanup(): Promise<void> }

/**
 * Evaluates the model behind `--against NAME@REF` on the data, target and slices of the
 * candidate's evaluation (with per-row predictions when `withPredictions`). A model that exists
 * but lacks the alias (no champion yet) is no baseline; an unknown model or version is an error.
 */
export async function evaluateAgainst(
  ref: string,
  candidate: EvaluationDoc,
  withPredictions: boolean,
  opts: GlobalOptions & { newModel?: boolean },
): Promise<Baseline> {
  const model = await resolveModel(ref, opts)
  if ('note' in model) return { doc: null, note: model.note, cleanup: async () => {} }
  // A pipeline re-run whose model did not change gates the champion its register stage made of it:
  // comparing a model with itself would fail every rule that asks for an improvement.
  if (
    candidate.model.digest !== undefined &&
    (await sha256File(model.file)).digest === candidate.model.digest
  ) {
    await model.cleanup()
    const label = model.version === null ? model.name : `${model.name}@${model.version}`
    return {
      doc: null,
      note: `the candidate is ${label} itself (the same model file), so there is nothing to compare with`,
      cleanup: async () => {},
    }
  }
  if (withPredictions && !candidate.predictions) {
    await model.cleanup()
    throw noPredictions('candidate')
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-gate-'))
  const cleanup = async () => {
    await model.cleanup()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const data = candidate.dataset.path
    await checkFingerprint(data, candidate.dataset.fingerprint, 'the data the candidate was evaluated on')
    const { evaluateModel } = await import('../models/evaluate.js')
    const doc = await evaluateModel({
      modelFile: model.file,
      model: { name: model.name, version: model.version },
      dataFile: data,
      target: candidate.target,
      sliceBy: Object.keys(candidate.slices),
      ...(candidate.predictions?.id_column && { idColumn: candidate.predictions.id_column }),
      // Same format as the candidate's file, so ids and values read back the same way.
      ...(withPredictions && {
        predictionsOut: path.join(dir, `baseline${path.extname(candidate.predictions!.path) || '.parquet'}`),
      }),
    })
    return { doc, cleanup }
  } catch (e) {
    await cleanup()
    throw e
  }
}

async function resolveModel(ref: string, opts: GlobalOptions & { newModel?: boolean }) {
  try {
    return await modelFile(ref, opts)
  } catch (e) {
    if (!isSluiceError(e, 'NOT_FOUND')) throw e
    const { name, selector } = parseModelRef(ref)
    if (selector.kind !== 'alias') throw e
    const versions = await withRegistry(opts, (r) => r.searchModelVersions({ name, limit: 1 }))
    if (versions.items.length === 0) {
      // A pipeline's first run gates a model that its register stage is about to create.
      if (opts.newModel)
        return {
          note: `model "${name}" has no versions yet (its first), so there is nothing to compare with`,
        }
      throw e
    }
    return {
      note: `model "${name}" has no "${selector.alias}" yet, so there is nothing to compare with`,
    }
  }
}

/** Both models' per-row predictions, checked against the digests their evaluations recorded. */
export async function loadPaired(
  candidate: EvaluationDoc,
  baseline: EvaluationDoc,
): Promise<PairedPredictions> {
  const load = async (e: EvaluationDoc, who: string) => {
    if (!e.predictions) throw noPredictions(who)
    await checkFingerprint(e.predictions.path, e.predictions.digest, `the ${who}'s predictions`)
    return { frame: (await loadFrame(e.predictions.path)).frame, name: e.predictions.path }
  }
  return pairPredictions(candidate.task, await load(candidate, 'candidate'), await load(baseline, 'baseline'))
}

const noPredictions = (who: string) =>
  new SluiceError(
    'INVALID_INPUT',
    `significance rules compare the models row by row, but the ${who}'s evaluation has no per-row predictions; evaluate it with --predictions-out FILE`,
  )

async function checkFingerprint(file: string, expected: string, what: string): Promise<void> {
  if (!existsSync(file))
    throw new SluiceError(
      'UNREADABLE_FILE',
      `${file} (${what}) does not exist; run sluice gate in the folder sluice evaluate ran in`,
    )
  const { digest } = await sha256File(file)
  if (digest !== expected)
    throw new SluiceError(
      'INVALID_INPUT',
      `${file} (${what}) has changed since the evaluation (it was ${expected}, it is ${digest}); evaluate again`,
    )
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch {
    throw new SluiceError('UNREADABLE_FILE', `${what} ${file} cannot be read; check the path`)
  }
}
