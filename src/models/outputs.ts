import { readFile } from 'node:fs/promises'
import onnxProto from 'onnx-proto'
import type { Signature, TensorSpec } from '../core/types.js'
import type { Output } from './runtime.js'

/** How a model's outputs read: a classifier (label + class probabilities) or a regressor (one number per row). */
export type OutputRoles =
  | { kind: 'classifier'; label: TensorSpec | null; probabilities: TensorSpec; classes: string[] | null }
  | { kind: 'regressor'; prediction: TensorSpec }

const FLOATS = new Set(['FP32', 'FP64', 'FP16'])
const perRow = (t: TensorSpec) => t.shape.slice(1).reduce((a, b) => a * (b < 0 ? 1 : b), 1)

/**
 * Recognises what a model's outputs mean from their types and shapes (sluice's own models and
 * the usual converters' conventions): a float output with two or more values per row holds class
 * probabilities; an integer or string output with one value per row holds the label; otherwise
 * a single float output per row is a regression prediction.
 */
export function outputRoles(signature: Signature, classes: string[] | null): OutputRoles {
  const outs = signature.outputs
  const probabilities = outs.find(
    (o) => FLOATS.has(o.datatype) && o.shape.length === 2 && (o.shape[1]! >= 2 || o.name === 'probabilities'),
  )
  const label = outs.find((o) => !FLOATS.has(o.datatype) && perRow(o) === 1) ?? null
  if (probabilities) return { kind: 'classifier', label, probabilities, classes }
  const prediction =
    outs.find((o) => o.name === 'prediction') ?? outs.find((o) => FLOATS.has(o.datatype) && perRow(o) === 1)
  if (!prediction) {
    throw new Error(
      `cannot tell what the model predicts from its outputs (${outs.map((o) => `${o.name}: ${o.datatype}`).join(', ')})`,
    )
  }
  return { kind: 'regressor', prediction }
}

/** Class labels recorded by sluice's trainers in the model's metadata (`sluice_classes`), if any. */
export async function recordedClasses(file: string): Promise<string[] | null> {
  const model = onnxProto.onnx.ModelProto.decode(await readFile(file))
  const entry = (model.metadataProps ?? []).find((p) => p.key === 'sluice_classes')
  return entry?.value ? (JSON.parse(entry.value) as string[]) : null
}

/** Row r's value of a one-per-row output, as a number or a string. */
export function valueAt(o: Output, r: number): number | string {
  const d = o.data
  if (Array.isArray(d)) return d[r]!
  const v = d[r]!
  return typeof v === 'bigint' ? Number(v) : v
}
