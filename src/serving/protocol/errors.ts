/** One problem in one row of a plain (`instances`) request. */
export interface FieldError {
  /** Index of the row in `instances`. */
  row: number
  /** The field (model input) concerned; null when the row itself is wrong (not an object). */
  field: string | null
  /** The whole message, e.g. `instances[3]: missing field "distance" (FP32)`. */
  message: string
}

/**
 * A request the Open Inference Protocol codec refuses (400), or a model it cannot serve (500).
 * The serving route answers `{"error": message}` with `status`, as the protocol's error response.
 * Not a SluiceError on purpose: its wire shape is the protocol's, not `sluice`'s error document.
 */
export class ProtocolError extends Error {
  readonly status: number
  /** Field-level problems of a plain request (empty otherwise). */
  readonly details: FieldError[]
  /** The request's own id, when it was read before the request was refused (the reply echoes it). */
  requestId: string | null = null

  constructor(status: number, message: string, details: FieldError[] = []) {
    super(message)
    this.name = 'ProtocolError'
    this.status = status
    this.details = details
  }
}

/** Shorthand for the common case: the client's request is wrong. */
export const badRequest = (message: string, details?: FieldError[]) =>
  new ProtocolError(400, message, details)
