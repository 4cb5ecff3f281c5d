/** A logistic regression over named numeric columns, as ONNX bytes (see onnx-fixtures.mjs). */
export function logisticModel(options: {
  features: string[]
  weights: number[]
  bias?: number
  name?: string
}): Uint8Array
