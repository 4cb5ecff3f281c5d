/**
 * Requests and responses of the Open Inference Protocol's binary tensor data extension, encoded
 * here byte by byte from the spec (triton-inference-server/server,
 * docs/protocol/extension_binary_data.md) and not with the codec under test: the JSON, whose
 * length goes in Inference-Header-Content-Length, then each binary input's data in the order of
 * `inputs`, row-major and little-endian; BOOL one byte (0/1); a BYTES element a 4-byte
 * little-endian length and its bytes. This is the request tritonclient's and KServe's clients
 * send for `set_data_from_numpy` (their default, binary_data=True).
 */

export type Values = number[] | bigint[] | boolean[] | string[]

/** A request input: `data` goes in the JSON; `binary` goes after it (FP16 values are their 16 bits). */
export interface Input {
  name: string
  shape: number[]
  datatype: string
  data?: unknown[]
  binary?: Values
  parameters?: Record<string, unknown>
}

/** Little-endian bytes of `values` as `datatype` (for FP16, each value is the half's bit pattern). */
export function tensorBytes(datatype: string, values: Values): Uint8Array {
  if (datatype === 'BYTES') {
    const parts = (values as string[]).map((s) => new TextEncoder().encode(s))
    const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0))
    const view = new DataView(out.buffer)
    let at = 0
    for (const p of parts) {
      view.setUint32(at, p.length, true)
      out.set(p, at + 4)
      at += 4 + p.length
    }
    return out
  }
  const size = { BOOL: 1, UINT8: 1, INT8: 1, FP16: 2, INT16: 2, UINT16: 2, FP32: 4, INT32: 4, UINT32: 4 }[
    datatype
  ]
  const width = size ?? 8
  const out = new Uint8Array(width * values.length)
  const view = new DataView(out.buffer)
  for (const [i, v] of values.entries()) {
    const at = i * width
    if (datatype === 'BOOL') view.setUint8(at, v ? 1 : 0)
    else if (datatype === 'FP16' || datatype === 'UINT16') view.setUint16(at, Number(v), true)
    else if (datatype === 'FP32') view.setFloat32(at, Number(v), true)
    else if (datatype === 'FP64') view.setFloat64(at, Number(v), true)
    else if (datatype === 'INT32') view.setInt32(at, Number(v), true)
    else if (datatype === 'INT64') view.setBigInt64(at, BigInt(v as number | bigint), true)
    else throw new Error(`tensorBytes: no encoding for ${datatype} in this helper`)
  }
  return out
}

/**
 * A binary-extension request body and its headers. Inputs with `binary` get
 * `parameters.binary_data_size` and no `data`; `extra` holds the rest of the request (id,
 * outputs, parameters).
 */
export function binaryRequest(
  inputs: Input[],
  extra: Record<string, unknown> = {},
): { body: Uint8Array; headerLength: number; headers: Record<string, string> } {
  const tails: Uint8Array[] = []
  const json = JSON.stringify({
    ...extra,
    inputs: inputs.map(({ binary, parameters, ...input }) => {
      if (!binary) return { ...input, ...(parameters && { parameters }) }
      const bytes = tensorBytes(input.datatype, binary)
      tails.push(bytes)
      return { ...input, parameters: { ...parameters, binary_data_size: bytes.length } }
    }),
  })
  const head = new TextEncoder().encode(json)
  const body = concat([head, ...tails])
  return {
    body,
    headerLength: head.length,
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(head.length),
    },
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

export interface ResponseOutput {
  name: string
  shape: number[]
  datatype: string
  data?: unknown[]
  parameters?: { binary_data_size?: number }
}

/**
 * A binary-extension response read as a client reads it: the JSON (its length from the
 * Inference-Header-Content-Length header), then each output with `binary_data_size` decoded from
 * the bytes after it, in order, into `values`.
 */
export function readBinaryResponse(
  body: Uint8Array,
  headerLength: number,
): { json: { id?: string; outputs: ResponseOutput[] }; values: Record<string, unknown[]> } {
  const json = JSON.parse(new TextDecoder().decode(body.subarray(0, headerLength)))
  const values: Record<string, unknown[]> = {}
  let at = headerLength
  for (const o of json.outputs as ResponseOutput[]) {
    const size = o.parameters?.binary_data_size
    if (size === undefined) continue
    values[o.name] = decodeTensor(o.datatype, body.subarray(at, at + size))
    at += size
  }
  if (at !== body.length) throw new Error(`${body.length - at} bytes after the last binary output`)
  return { json, values }
}

function decodeTensor(datatype: string, bytes: Uint8Array): unknown[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: unknown[] = []
  if (datatype === 'BYTES') {
    for (let at = 0; at < bytes.length; ) {
      const n = view.getUint32(at, true)
      out.push(new TextDecoder().decode(bytes.subarray(at + 4, at + 4 + n)))
      at += 4 + n
    }
    return out
  }
  const read: Record<string, [number, (at: number) => unknown]> = {
    BOOL: [1, (at) => view.getUint8(at) === 1],
    FP32: [4, (at) => view.getFloat32(at, true)],
    FP64: [8, (at) => view.getFloat64(at, true)],
    INT32: [4, (at) => view.getInt32(at, true)],
    INT64: [8, (at) => view.getBigInt64(at, true)],
  }
  const [width, get] = read[datatype]!
  for (let at = 0; at < bytes.length; at += width) out.push(get(at))
  return out
}
