import { SluiceError } from '../core/errors.js'
import type { Column, Frame } from '../data/frame.js'

/**
 * A feature as a trained model sees it. Numbers arrive as float32 (as the exported ONNX graph
 * receives them); categories are strings, encoded by the model's own category list.
 */
export type FeatureSpec = { name: string; kind: 'num' } | { name: string; kind: 'cat'; categories: string[] }

export type Task = 'classification' | 'regression'

/** Training data extracted from a frame: one array per feature, and the target. */
export interface TrainingData {
  features: FeatureSpec[]
  /** Per feature: float32-rounded numbers (NaN missing), or category codes into `categories` (−1 missing or unknown). */
  columns: (Float64Array | Int32Array)[]
  /** Regression: the values; classification: class indices (0 or 1). */
  y: Float64Array
  task: Task
  /** Class labels for classification (index → label), sorted; empty for regression. */
  classes: string[]
  /** Whether the class labels are numbers (0/1, true/false are reported as strings otherwise). */
  numericClasses: boolean
  rows: number
}

/** Categorical features keep at most this many categories (the most frequent); others count as missing. */
export const MAX_CATEGORIES = 254

export interface DatasetOptions {
  target: string
  features: string[]
  task?: Task
  /** Numeric columns to treat as categorical. */
  categorical?: string[]
}

/**
 * Pulls features and target out of a frame, with errors that name the column: a missing or
 * constant target, a feature that is not in the data or has no values. Rows without a target
 * are dropped.
 */
export function trainingData(frame: Frame, options: DatasetOptions): TrainingData {
  const byName = new Map(frame.columns.map((c) => [c.name, c]))
  const col = (name: string, role: string): Column => {
    const c = byName.get(name)
    if (!c)
      throw new SluiceError(
        'INVALID_INPUT',
        `${role} column "${name}" is not in the data; its columns are ${[...byName.keys()].join(', ')}`,
      )
    return c
  }
  const targetCol = col(options.target, 'target')
  if (options.features.length === 0)
    throw new SluiceError('USAGE', 'give at least one feature (--features a,b,c)')
  if (options.features.includes(options.target)) {
    throw new SluiceError(
      'INVALID_INPUT',
      `the target "${options.target}" is also listed as a feature; a model may not see its own answer`,
    )
  }
  const featureCols = options.features.map((f) => col(f, 'feature'))
  const keep: number[] = []
  for (let r = 0; r < frame.rows; r++) {
    if (!targetCol.missing[r] && !(targetCol.kind === 'number' && !Number.isFinite(targetCol.values[r]!)))
      keep.push(r)
  }
  if (keep.length === 0)
    throw new SluiceError('INVALID_INPUT', `target column "${options.target}" has no values`)

  const task = options.task ?? inferTask(targetCol)
  const target =
    task === 'regression' ? regressionTarget(targetCol, keep) : classificationTarget(targetCol, keep)
  const forcedCategorical = new Set(options.categorical ?? [])
  const features: FeatureSpec[] = []
  const columns: (Float64Array | Int32Array)[] = []
  featureCols.forEach((c) => {
    const { spec, values } = featureColumn(c, keep, forcedCategorical.has(c.name))
    features.push(spec)
    columns.push(values)
  })
  return { features, columns, task, rows: keep.length, ...target }
}

function inferTask(c: Column): Task {
  if (c.kind !== 'number') return 'classification'
  const seen = new Set<number>()
  for (let i = 0; i < c.values.length && seen.size < 3; i++) if (!c.missing[i]) seen.add(c.values[i]!)
  return seen.size <= 2 ? 'classification' : 'regression'
}

function regressionTarget(c: Column, keep: number[]): Pick<TrainingData, 'y' | 'classes' | 'numericClasses'> {
  if (c.kind !== 'number') {
    throw new SluiceError(
      'INVALID_INPUT',
      `target column "${c.name}" holds ${c.dtype} values; regression needs numbers (or use --task classification)`,
    )
  }
  const y = Float64Array.from(keep, (r) => c.values[r]!)
  if (y.every((v) => v === y[0]))
    throw new SluiceError(
      'INVALID_INPUT',
      `target column "${c.name}" is constant (${y[0]}); there is nothing to learn`,
    )
  return { y, classes: [], numericClasses: true }
}

function classificationTarget(
  c: Column,
  keep: number[],
): Pick<TrainingData, 'y' | 'classes' | 'numericClasses'> {
  const label = (r: number) => (c.kind === 'category' ? c.dictionary[c.codes[r]!]! : String(c.values[r]))
  const numericClasses = c.kind === 'number'
  const seen = new Set<string>()
  if (c.kind === 'category') {
    const used = new Uint8Array(c.dictionary.length)
    for (const r of keep) used[c.codes[r]!] = 1
    c.dictionary.forEach((d, i) => {
      if (used[i]) seen.add(d)
    })
  } else for (const r of keep) if (seen.size < 3) seen.add(label(r))
  const distinct = [...seen]
  distinct.sort(numericClasses ? (a, b) => Number(a) - Number(b) : undefined)
  if (distinct.length === 1) {
    throw new SluiceError(
      'INVALID_INPUT',
      `target column "${c.name}" is constant (every row is "${distinct[0]}"); there is nothing to learn`,
    )
  }
  if (distinct.length > 2) {
    throw new SluiceError(
      'INVALID_INPUT',
      `target column "${c.name}" has ${distinct.length} classes; the built-in trainers do binary classification (two classes) and regression`,
    )
  }
  const y = new Float64Array(keep.length)
  if (c.kind === 'category') {
    const byCode = Int32Array.from(c.dictionary, (d) => distinct.indexOf(d))
    for (let i = 0; i < keep.length; i++) y[i] = byCode[c.codes[keep[i]!]!]!
  } else {
    const one = Number(distinct[1])
    for (let i = 0; i < keep.length; i++) y[i] = c.values[keep[i]!] === one ? 1 : 0
  }
  return { y, classes: distinct, numericClasses }
}

function featureColumn(
  c: Column,
  keep: number[],
  forceCategorical: boolean,
): { spec: FeatureSpec; values: Float64Array | Int32Array } {
  if (c.kind === 'datetime') {
    throw new SluiceError(
      'INVALID_INPUT',
      `feature "${c.name}" holds datetimes; derive numbers from it (hour, weekday…) and train on those`,
    )
  }
  let present = 0
  for (const r of keep) if (!c.missing[r]) present++
  if (present === 0)
    throw new SluiceError(
      'INVALID_INPUT',
      `feature "${c.name}" has only missing values in the training rows; drop it`,
    )
  if (c.kind === 'number' && !forceCategorical) {
    // Models receive numbers as float32; train on exactly those values. ±inf counts as missing.
    const values = new Float64Array(keep.length)
    for (let i = 0; i < keep.length; i++) {
      const r = keep[i]!
      const v = c.values[r]!
      values[i] = c.missing[r] || !Number.isFinite(v) ? Number.NaN : Math.fround(v)
    }
    return { spec: { name: c.name, kind: 'num' }, values }
  }
  if (c.kind === 'category') return categoryFeature(c, keep)
  const text = (r: number) => String(c.values[r])
  const counts = new Map<string, number>()
  for (const r of keep) if (!c.missing[r]) counts.set(text(r), (counts.get(text(r)) ?? 0) + 1)
  // The most frequent categories, ties by name; the rest are treated as missing.
  const categories = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_CATEGORIES)
    .map(([k]) => k)
    .sort()
  const code = new Map(categories.map((k, i) => [k, i]))
  const values = Int32Array.from(keep, (r) => (c.missing[r] ? -1 : (code.get(text(r)) ?? -1)))
  return { spec: { name: c.name, kind: 'cat', categories }, values }
}

/** A dictionary-encoded column as a feature: counted and re-coded through its codes, not its strings. */
function categoryFeature(
  c: Extract<Column, { kind: 'category' }>,
  keep: number[],
): { spec: FeatureSpec; values: Int32Array } {
  const counts = new Float64Array(c.dictionary.length)
  for (const r of keep) if (c.codes[r]! >= 0) counts[c.codes[r]!]!++
  const present = c.dictionary.map((name, code) => ({ name, code, n: counts[code]! })).filter((d) => d.n > 0)
  const categories = present
    .sort((a, b) => b.n - a.n || (a.name < b.name ? -1 : 1))
    .slice(0, MAX_CATEGORIES)
    .map((d) => d.name)
    .sort()
  const modelCode = new Map(categories.map((k, i) => [k, i]))
  const byCode = Int32Array.from(c.dictionary, (d) => modelCode.get(d) ?? -1)
  const values = new Int32Array(keep.length)
  for (let i = 0; i < keep.length; i++) {
    const code = c.codes[keep[i]!]!
    values[i] = code < 0 ? -1 : byCode[code]!
  }
  return { spec: { name: c.name, kind: 'cat', categories }, values }
}
