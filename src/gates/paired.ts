import { SluiceError } from '../core/errors.js'
import { type Column, cell, type Frame } from '../data/frame.js'

/** One model's per-row output, in the row order of `PairedPredictions`. */
export interface ModelOutputs {
  /** Class index (classification) or predicted value (regression). */
  predicted: Float64Array
  /** P(second class) per row for binary classifiers, else null. */
  positiveProba: Float64Array | null
}

/** Two models' predictions on the same rows, matched by row id, rows without a true value left out. */
export interface PairedPredictions {
  task: 'classification' | 'regression'
  rows: number
  /** Class names in the models' order (classification), else null. */
  classes: string[] | null
  /** Class index or true value per row. */
  actual: Float64Array
  candidate: ModelOutputs
  baseline: ModelOutputs
}

interface Source {
  frame: Frame
  /** The file, for messages. */
  name: string
}

/**
 * Matches two predictions files of `sluice evaluate --predictions-out` row by row: the first
 * column is the row id, then `actual`, then `label` and `probability_<class>` (classifiers) or
 * `prediction` (regressors). Both must cover the same ids with the same true values.
 */
export function pairPredictions(
  task: PairedPredictions['task'],
  candidate: Source,
  baseline: Source,
): PairedPredictions {
  const c = readFile(candidate, task)
  const b = readFile(baseline, task)
  if (c.id.name !== b.id.name) {
    throw new SluiceError(
      'INVALID_INPUT',
      `${candidate.name} identifies rows by "${c.id.name}" but ${baseline.name} by "${b.id.name}"; evaluate both with the same --id`,
    )
  }
  if (c.classes.join('\n') !== b.classes.join('\n')) {
    throw new SluiceError(
      'INVALID_INPUT',
      `the models predict different classes (${c.classes.join(', ')} vs ${b.classes.join(', ')}); they cannot be compared`,
    )
  }
  const baselineRow = indexIds(b.id, baseline.name)
  if (baselineRow.size !== candidate.frame.rows) {
    throw new SluiceError(
      'INVALID_INPUT',
      `${candidate.name} has ${candidate.frame.rows} rows but ${baseline.name} has ${baselineRow.size}; both must be predictions for the same rows`,
    )
  }
  const pairs: [number, number][] = []
  for (let r = 0; r < candidate.frame.rows; r++) {
    const id = idOf(c.id, r, candidate.name)
    const rb = baselineRow.get(id)
    if (rb === undefined) {
      throw new SluiceError(
        'INVALID_INPUT',
        `row id ${id} of ${candidate.name} is not in ${baseline.name}; both must be predictions for the same rows`,
      )
    }
    const actual = cell(c.actual, r)
    if (String(actual) !== String(cell(b.actual, rb))) {
      throw new SluiceError(
        'INVALID_INPUT',
        `row ${id} has actual value ${actual} in ${candidate.name} but ${cell(b.actual, rb)} in ${baseline.name}; the models were not evaluated on the same data`,
      )
    }
    if (actual !== null) pairs.push([r, rb])
  }
  const classIndex = new Map(c.classes.map((name, i) => [name, i]))
  const actual = Float64Array.from(pairs, ([r]) => {
    const v = cell(c.actual, r)
    if (task === 'regression') return Number(v)
    const i = classIndex.get(String(v))
    if (i === undefined)
      throw new SluiceError(
        'INVALID_INPUT',
        `actual value "${v}" is not a class the models know (${c.classes.join(', ')})`,
      )
    return i
  })
  return {
    task,
    rows: pairs.length,
    classes: task === 'classification' ? c.classes : null,
    actual,
    candidate: outputs(
      c,
      pairs.map(([r]) => r),
      classIndex,
    ),
    baseline: outputs(
      b,
      pairs.map(([, rb]) => rb),
      classIndex,
    ),
  }
}

interface File {
  id: Column
  actual: Column
  /** `label` or `prediction`. */
  predicted: Column
  classes: string[]
  probabilities: Column[]
}

function readFile({ frame, name }: Source, task: PairedPredictions['task']): File {
  const column = (n: string) => frame.columns.find((col) => col.name === n)
  const id = frame.columns[0]
  const actual = column('actual')
  if (!id || !actual) {
    throw new SluiceError(
      'INVALID_INPUT',
      `${name} has no "actual" column; write the predictions again with \`sluice evaluate … --predictions-out FILE\``,
    )
  }
  const predicted = column(task === 'classification' ? 'label' : 'prediction')
  if (!predicted) {
    throw new SluiceError(
      'INVALID_INPUT',
      `${name} has no "${task === 'classification' ? 'label' : 'prediction'}" column; is it the predictions of a ${task} model?`,
    )
  }
  const probabilities = frame.columns.filter((col) => col.name.startsWith('probability_'))
  if (task === 'classification' && probabilities.length < 2) {
    throw new SluiceError('INVALID_INPUT', `${name} has no probability_<class> columns for the classes`)
  }
  return {
    id,
    actual,
    predicted,
    classes: probabilities.map((col) => col.name.slice('probability_'.length)),
    probabilities,
  }
}

function indexIds(id: Column, file: string): Map<string, number> {
  const rows = new Map<string, number>()
  for (let r = 0; r < id.missing.length; r++) {
    const key = idOf(id, r, file)
    if (rows.has(key))
      throw new SluiceError('INVALID_INPUT', `row id ${key} appears twice in ${file}; ids must be unique`)
    rows.set(key, r)
  }
  return rows
}

function idOf(id: Column, r: number, file: string): string {
  const v = cell(id, r)
  if (v === null) throw new SluiceError('INVALID_INPUT', `row ${r + 1} of ${file} has no ${id.name}`)
  return String(v)
}

function outputs(f: File, rows: number[], classIndex: Map<string, number>): ModelOutputs {
  const predicted = Float64Array.from(rows, (r) => {
    const v = cell(f.predicted, r)
    if (f.classes.length === 0) return Number(v)
    // A label outside the classes counts as the first class, as in `sluice evaluate`'s metrics.
    return classIndex.get(String(v)) ?? 0
  })
  const second = f.probabilities.length === 2 ? f.probabilities[1]! : null
  return {
    predicted,
    positiveProba: second && Float64Array.from(rows, (r) => cell(second, r) as number),
  }
}
