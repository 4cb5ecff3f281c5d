/**
 * Classification metrics with scikit-learn's definitions (checked against scikit-learn in
 * metrics.test.ts). Classes are indices 0..k−1; for binary problems class 1 is the positive one.
 */

export interface ClassificationMetrics {
  accuracy: number
  precision: number
  recall: number
  f1: number
  f1_macro: number
  f1_micro: number
  f1_weighted: number
  /** Only for two classes with probabilities. */
  roc_auc?: number
  average_precision?: number
  log_loss?: number
  brier_score?: number
  /** confusion_matrix[true][predicted] */
  confusion_matrix: number[][]
}

/**
 * `yTrue`, `yPred`: class indices; `positiveProba`: P(class 1) per row (binary problems) or
 * null. `classes` is the number of classes (at least 2).
 */
export function classificationMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  positiveProba: ArrayLike<number> | null,
  classes: number,
): ClassificationMetrics {
  const n = yTrue.length
  const cm = Array.from({ length: classes }, () => new Array<number>(classes).fill(0))
  for (let i = 0; i < n; i++) cm[yTrue[i]!]![yPred[i]!]!++
  const metrics: ClassificationMetrics = { ...labelMetrics(cm), confusion_matrix: cm }
  if (classes === 2 && positiveProba) {
    const y = Uint8Array.from({ length: n }, (_, i) => (yTrue[i] === 1 ? 1 : 0))
    metrics.roc_auc = rocAuc(y, positiveProba)
    metrics.average_precision = averagePrecision(y, positiveProba)
    metrics.log_loss = logLoss(y, positiveProba)
    metrics.brier_score = brierScore(y, positiveProba)
  }
  return metrics
}

export type LabelMetrics = Pick<
  ClassificationMetrics,
  'accuracy' | 'precision' | 'recall' | 'f1' | 'f1_macro' | 'f1_micro' | 'f1_weighted'
>

/** The metrics of predicted labels, from a confusion matrix of counts or of summed row weights. */
export function labelMetrics(cm: number[][]): LabelMetrics {
  const classes = cm.length
  let n = 0
  let correct = 0
  for (let c = 0; c < classes; c++) {
    correct += cm[c]![c]!
    for (let k = 0; k < classes; k++) n += cm[c]![k]!
  }
  const perClass = cm.map((_, c) => {
    const tp = cm[c]![c]!
    let predicted = 0
    let actual = 0
    for (let k = 0; k < classes; k++) {
      predicted += cm[k]![c]!
      actual += cm[c]![k]!
    }
    // scikit-learn's zero_division=0: an undefined ratio counts as 0.
    const precision = predicted ? tp / predicted : 0
    const recall = actual ? tp / actual : 0
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0
    return { precision, recall, f1, support: actual }
  })
  const positive = perClass[classes === 2 ? 1 : 0]!
  return {
    accuracy: n ? correct / n : 0,
    precision: positive.precision,
    recall: positive.recall,
    f1: positive.f1,
    f1_macro: perClass.reduce((s, c) => s + c.f1, 0) / classes,
    f1_micro: n ? correct / n : 0,
    f1_weighted: n ? perClass.reduce((s, c) => s + c.f1 * c.support, 0) / n : 0,
  }
}

/** Rows ordered by decreasing score (ties in input order; they are grouped below anyway). */
function byScoreDesc(scores: ArrayLike<number>): Uint32Array {
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i)
  return order.sort((a, b) => scores[b]! - scores[a]! || a - b)
}

/** Area under the ROC curve (trapezoids over distinct thresholds, as roc_auc_score); NaN with one class. */
export function rocAuc(y: Uint8Array, scores: ArrayLike<number>): number {
  const order = byScoreDesc(scores)
  let positives = 0
  for (const v of y) positives += v
  const negatives = y.length - positives
  if (positives === 0 || negatives === 0) return Number.NaN
  let tp = 0
  let fp = 0
  let prevTp = 0
  let prevFp = 0
  let area = 0
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!
    if (y[i]) tp++
    else fp++
    const last = k === order.length - 1 || scores[order[k + 1]!] !== scores[i]
    if (last) {
      area += (fp - prevFp) * (tp + prevTp)
      prevTp = tp
      prevFp = fp
    }
  }
  return area / (2 * positives * negatives)
}

/** Average precision: Σ (R_k − R_{k−1})·P_k over distinct thresholds, highest first (no interpolation). */
export function averagePrecision(y: Uint8Array, scores: ArrayLike<number>): number {
  const order = byScoreDesc(scores)
  let positives = 0
  for (const v of y) positives += v
  if (positives === 0) return Number.NaN
  let tp = 0
  let seen = 0
  let prevRecall = 0
  let ap = 0
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!
    tp += y[i]!
    seen++
    const last = k === order.length - 1 || scores[order[k + 1]!] !== scores[i]
    if (last) {
      const recall = tp / positives
      ap += (recall - prevRecall) * (tp / seen)
      prevRecall = recall
    }
  }
  return ap
}

/** Mean negative log-likelihood, probabilities clipped to [ε, 1 − ε] with ε the float64 epsilon. */
export function logLoss(y: Uint8Array, p: ArrayLike<number>): number {
  const eps = Number.EPSILON
  let s = 0
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(1 - eps, Math.max(eps, p[i]!))
    s -= y[i] ? Math.log(q) : Math.log1p(-q)
  }
  return s / y.length
}

export function brierScore(y: Uint8Array, p: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < y.length; i++) s += (p[i]! - y[i]!) ** 2
  return s / y.length
}
