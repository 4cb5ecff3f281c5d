import type { InferCall } from './handler.js'
import type { Router } from './router.js'

const seen = new WeakMap<InferCall, string | null>()

/**
 * The value of a rollout's sticky key in a request: a header, or a body field — an input tensor's
 * first element (Open Inference Protocol) or the first instance's field (plain endpoint). Null
 * when the rollout names none or the request lacks it (then it is routed by weight alone), and
 * for a field of a request in the binary tensor data extension.
 */
export function stickyValue(router: Router, call: InferCall): string | null {
  const key = router.stickyKey
  if (!key) return null
  if ('header' in key) return call.header?.(key.header) ?? null
  if (seen.has(call)) return seen.get(call)!
  const value = fieldOf(call, key.field)
  seen.set(call, value)
  return value
}

function fieldOf(call: InferCall, field: string): string | null {
  // A binary-extension body (bytes) is routed by weight alone: its values may be in the binary part.
  if (typeof call.body !== 'string') return null
  let body: unknown
  try {
    body = JSON.parse(call.body)
  } catch {
    return null // the parser that follows reports the malformed body
  }
  if (typeof body !== 'object' || body === null) return null
  let value: unknown
  if (call.kind === 'infer') {
    const inputs = (body as { inputs?: unknown }).inputs
    const input = Array.isArray(inputs) ? inputs.find((i) => i?.name === field) : undefined
    value = input?.data
    while (Array.isArray(value)) value = value[0]
  } else {
    const instances = (body as { instances?: unknown }).instances
    value = Array.isArray(instances) ? instances[0]?.[field] : undefined
  }
  return value === undefined || value === null || typeof value === 'object' ? null : String(value)
}
