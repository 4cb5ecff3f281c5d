import { SluiceError } from '../core/errors.js'
import { type CellValue, frameFromColumns } from '../data/build.js'
import { cell, type Frame } from '../data/frame.js'
import { outputRoles, recordedClasses, valueAt } from './outputs.js'
import { OnnxModel, type Output } from './runtime.js'

/**
 * Batch prediction: every row of `frame` through the model, returned as a frame of predictions
 * (a classifier's `label` and one `probability_<class>` column per class, a regressor's
 * `prediction`, or any other model's outputs as they are), led by the id column when one is named.
 */
export async function predictFrameToFrame(
  modelFile: string,
  frame: Frame,
  idColumn?: string,
): Promise<Frame> {
  const id = idColumn ? frame.columns.find((c) => c.name === idColumn) : undefined
  if (idColumn && !id)
    throw new SluiceError(
      'INVALID_INPUT',
      `id column "${idColumn}" is not in the data; its columns are ${frame.columns.map((c) => c.name).join(', ')}`,
    )
  const model = await OnnxModel.load(modelFile)
  try {
    const outputs = await model.predictFrame(frame)
    const columns: Record<string, CellValue[]> = {}
    if (id) columns[id.name] = Array.from({ length: frame.rows }, (_, r) => cell(id, r) as CellValue)
    let roles: ReturnType<typeof outputRoles> | null = null
    try {
      roles = outputRoles(model.signature, await recordedClasses(modelFile))
    } catch {
      roles = null // not a classifier or regressor by shape: write the outputs as they are
    }
    if (roles?.kind === 'classifier') {
      const probs = outputs[roles.probabilities.name]!
      const k = probs.rowShape[0] ?? 2
      const classes = roles.classes ?? Array.from({ length: k }, (_, j) => String(j))
      const label = roles.label ? outputs[roles.label.name]! : null
      columns.label = Array.from({ length: frame.rows }, (_, r) => {
        if (!label) return argmaxClass(probs, r, k, classes)
        const v = valueAt(label, r)
        return roles.classes && typeof v === 'number' ? classes[v]! : v
      })
      classes.forEach((c, j) => {
        columns[`probability_${c}`] = Array.from({ length: frame.rows }, (_, r) =>
          Number((probs.data as Float32Array)[r * k + j]),
        )
      })
    } else if (roles?.kind === 'regressor') {
      const out = outputs[roles.prediction.name]!
      columns.prediction = Array.from({ length: frame.rows }, (_, r) => Number(valueAt(out, r)))
    } else {
      for (const [name, out] of Object.entries(outputs)) addRaw(columns, name, out, frame.rows)
    }
    return frameFromColumns(columns)
  } finally {
    await model.close()
  }
}

function argmaxClass(probs: Output, r: number, k: number, classes: string[]): string {
  const p = probs.data as Float32Array
  let best = 0
  for (let j = 1; j < k; j++) if (p[r * k + j]! > p[r * k + best]!) best = j
  return classes[best]!
}

function addRaw(columns: Record<string, CellValue[]>, name: string, out: Output, rows: number): void {
  const width = out.rowShape.reduce((a, b) => a * b, 1)
  for (let j = 0; j < width; j++) {
    columns[width === 1 ? name : `${name}_${j}`] = Array.from({ length: rows }, (_, r) => {
      const v = Array.isArray(out.data) ? out.data[r * width + j]! : out.data[r * width + j]!
      return typeof v === 'bigint' ? Number(v) : v
    })
  }
}
