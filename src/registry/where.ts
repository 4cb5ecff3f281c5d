import { SluiceError } from '../core/errors.js'
import { METRIC_OPS, type MetricCondition, type MetricOp } from '../store/types.js'

const CONDITION_RE =
  /^\s*([A-Za-z_][A-Za-z0-9_.:/-]*)\s*(<=|>=|!=|==|=|<|>)\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*$/

/**
 * Parses metric conditions joined by `and`, e.g. `accuracy>0.8 and log_loss<0.5`.
 * `==` is read as `=`. Every condition must hold (there is no `or`).
 */
export function parseWhere(expr: string): MetricCondition[] {
  const parts = expr.split(/\s+and\s+/i)
  return parts.map((part) => {
    const m = CONDITION_RE.exec(part)
    if (!m) {
      throw new SluiceError(
        'INVALID_INPUT',
        `cannot read the condition "${part.trim()}" in --where "${expr}"; write METRIC OP NUMBER joined by "and", with OP one of ${METRIC_OPS.join(' ')} (e.g. "accuracy>0.8 and log_loss<0.5")`,
      )
    }
    const op = (m[2] === '==' ? '=' : m[2]) as MetricOp
    return { key: m[1]!, op, value: Number(m[3]) }
  })
}
