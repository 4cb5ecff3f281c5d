import type { EvaluationDoc, MetricValue } from '../../src/metrics/evaluation.js'

/** A `sluice.evaluation/v1` document for unit tests: the given metrics and slices, the rest plausible. */
export function evaluationDoc(
  metrics: Record<string, MetricValue>,
  more: Partial<EvaluationDoc> & { slices?: EvaluationDoc['slices'] } = {},
): EvaluationDoc {
  return {
    schema: 'sluice.evaluation/v1',
    model: { name: 'churn', version: 2, size_bytes: 3 * 1024 * 1024, latency_ms: { p50: 0.2, p99: 1.5 } },
    dataset: { path: 'test.csv', fingerprint: `sha256:${'a'.repeat(64)}`, rows: 1000 },
    target: 'churned',
    task: 'classification',
    predictions: null,
    metrics,
    slices: {},
    ...more,
  }
}
