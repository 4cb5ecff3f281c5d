import type { Signature } from '../core/types.js'
import type { OutputTensor } from '../serving/protocol/outputs.js'

/** A request's predictions, row by row: a score (the positive class's probability, or the regression value) and a label. */
export interface RowPredictions {
  scores: number[] | null
  labels: (string | number)[] | null
}

/**
 * Reads the predictions a rollout compares out of a model's outputs: the score is the first
 * floating-point output — its last column when it holds class probabilities, so a binary
 * classifier's score is P(positive) — and the label is the first integer or string output (for a
 * regression, the score stands in as the label).
 */
export function rowPredictions(outputs: Record<string, OutputTensor>, signature: Signature): RowPredictions {
  let scores: number[] | null = null
  let labels: (string | number)[] | null = null
  for (const spec of signature.outputs) {
    const t = outputs[spec.name]
    if (!t) continue
    const rows = t.dims[0] ?? t.data.length
    const width = rows > 0 ? t.data.length / rows : 0
    if (scores === null && (t.datatype === 'FP32' || t.datatype === 'FP64')) {
      scores = []
      for (let r = 0; r < rows; r++) scores.push(Number(t.data[r * width + (width - 1)]))
    } else if (
      labels === null &&
      (t.datatype === 'BYTES' || t.datatype.startsWith('INT') || t.datatype.startsWith('UINT'))
    ) {
      labels = []
      for (let r = 0; r < rows; r++) {
        const x = t.data[r * width]
        labels.push(typeof x === 'string' ? x : Number(x))
      }
    }
  }
  return { scores, labels: labels ?? scores }
}
