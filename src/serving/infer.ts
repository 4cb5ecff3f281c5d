import ort from 'onnxruntime-node'
import { OIP_DATATYPE } from '../models/runtime.js'
import type { LoadedVersion } from './model-cache.js'
import type { OutputTensor } from './protocol/outputs.js'
import type { InputTensor } from './protocol/request.js'

const ORT_TYPE = Object.fromEntries(Object.entries(OIP_DATATYPE).map(([type, oip]) => [oip, type])) as Record<
  string,
  ort.Tensor.Type
>

export class InferenceTimeout extends Error {}

/** Runs a loaded version on validated inputs. onnxruntime-node runs it on this thread (inside a setImmediate). */
export async function runModel(
  v: LoadedVersion,
  inputs: Record<string, InputTensor>,
): Promise<Record<string, OutputTensor>> {
  const feeds: Record<string, ort.Tensor> = {}
  for (const [name, t] of Object.entries(inputs)) {
    feeds[name] = new ort.Tensor(ORT_TYPE[t.datatype]!, t.data as never, t.dims)
  }
  const out = await v.onnx.run(feeds)
  return Object.fromEntries(
    Object.entries(out).map(([name, t]) => [
      name,
      {
        datatype: OIP_DATATYPE[t.type] ?? 'BYTES',
        dims: t.dims.map(Number),
        data: t.data as ArrayLike<unknown>,
      },
    ]),
  )
}

/** The work's result, or InferenceTimeout after `ms`; the work itself goes on (it cannot be stopped). */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InferenceTimeout(`no answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}
