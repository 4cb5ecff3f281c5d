import { SluiceError } from '../core/errors.js'
import type { Frame } from '../data/frame.js'
import type { FeatureSpec, Task } from './dataset.js'
import { type Tree, treeScore } from './gbdt/tree.js'

interface ModelBase {
  task: Task
  features: FeatureSpec[]
  /** Class labels (classification): index → label. */
  classes: string[]
  numericClasses: boolean
}

export interface GbdtModel extends ModelBase {
  algo: 'gbdt'
  baseline: number
  trees: Tree[]
}

/**
 * A linear model over standardised numbers (missing → the training mean) and one-hot categories
 * (unknown → all zeros). `weights` follow the features in order: one per numeric feature, one per
 * category of each categorical feature.
 */
export interface LinearModel extends ModelBase {
  algo: 'logistic' | 'linear'
  means: number[]
  stds: number[]
  weights: Float64Array
  intercept: number
}

export type TrainedModel = GbdtModel | LinearModel

export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

/**
 * A frame's columns encoded for a model: numbers as float32 (what the ONNX graph receives; NaN
 * when missing or infinite), categories as codes into the model's categories (−1 when missing or
 * unseen in training).
 */
export function encodeFeatures(frame: Frame, features: FeatureSpec[]): (Float64Array | Int32Array)[] {
  return features.map((f) => {
    const c = frame.columns.find((col) => col.name === f.name)
    if (!c) {
      throw new SluiceError(
        'INVALID_INPUT',
        `the model needs column "${f.name}", which is not in the data; its columns are ${frame.columns.map((x) => x.name).join(', ')}`,
      )
    }
    if (f.kind === 'num') {
      if (c.kind !== 'number')
        throw new SluiceError(
          'INVALID_INPUT',
          `the model reads "${f.name}" as numbers, but the data holds ${c.dtype} values there`,
        )
      const out = new Float64Array(frame.rows)
      for (let r = 0; r < frame.rows; r++) {
        const v = c.values[r]!
        out[r] = c.missing[r] || !Number.isFinite(v) ? Number.NaN : Math.fround(v)
      }
      return out
    }
    const code = new Map(f.categories.map((k, i) => [k, i]))
    const out = new Int32Array(frame.rows)
    if (c.kind === 'category') {
      const byCode = Int32Array.from(c.dictionary, (d) => code.get(d) ?? -1)
      for (let r = 0; r < frame.rows; r++) out[r] = c.missing[r] ? -1 : byCode[c.codes[r]!]!
    } else {
      for (let r = 0; r < frame.rows; r++) out[r] = c.missing[r] ? -1 : (code.get(String(c.values[r])) ?? -1)
    }
    return out
  })
}

/** The model's raw output per row: log-odds of class 1 (classification) or the predicted value. */
export function predictRaw(
  model: TrainedModel,
  columns: (Float64Array | Int32Array)[],
  rows: number,
): Float64Array {
  const out = new Float64Array(rows)
  if (model.algo === 'gbdt') {
    for (let r = 0; r < rows; r++) {
      let s = model.baseline
      for (const tree of model.trees) s += treeScore(tree, columns, model.features, r)
      out[r] = s
    }
    return out
  }
  const { features, means, stds, weights, intercept } = model
  for (let r = 0; r < rows; r++) {
    let s = intercept
    let w = 0
    let num = 0
    features.forEach((f, i) => {
      const x = columns[i]![r]!
      if (f.kind === 'num') {
        const v = Number.isNaN(x) ? means[num]! : x
        s += weights[w++]! * ((v - means[num]!) / stds[num]!)
        num++
      } else {
        if (x >= 0) s += weights[w + x]!
        w += f.categories.length
      }
    })
    out[r] = s
  }
  return out
}
