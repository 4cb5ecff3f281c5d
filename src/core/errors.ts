/**
 * Every error sluice raises on purpose is a SluiceError with a stable `code`. The message says what
 * was wrong and how to fix it. The CLI maps errors to exit code 2 and the API to an HTTP status;
 * anything that is not a SluiceError is a bug and is reported as `INTERNAL`.
 */
export const ERROR_CODES = {
  USAGE: 400,
  INVALID_INPUT: 400,
  INVALID_NAME: 400,
  INVALID_REFERENCE: 400,
  INVALID_CONFIG: 400,
  UNREADABLE_FILE: 400,
  UNSUPPORTED_FORMAT: 415,
  PAYLOAD_TOO_LARGE: 413,
  /** A request body that did not arrive in the time it is given. */
  REQUEST_TIMEOUT: 408,
  /** No credentials, or ones that are not valid (unknown, expired, revoked token). */
  UNAUTHENTICATED: 401,
  /** Valid credentials without the right to do this (a token of a weaker scope, a protected alias). */
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ARTIFACT_MISSING: 404,
  ARTIFACT_CORRUPT: 500,
  STORE_BUSY: 503,
  /** The server is doing as much of this as it takes at once (uploads); try again shortly. */
  OVERLOADED: 503,
  DISK_FULL: 507,
  SERVER_UNREACHABLE: 503,
  INTERNAL: 500,
} as const

export type ErrorCode = keyof typeof ERROR_CODES

export class SluiceError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SluiceError'
    this.code = code
    this.details = options?.details
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code]
  }
}

export function isSluiceError(e: unknown, code?: ErrorCode): e is SluiceError {
  return e instanceof SluiceError && (code === undefined || e.code === code)
}

/** The wire shape of an error everywhere except the Open Inference Protocol routes. */
export interface ErrorDocument {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> }
}

export function toErrorDocument(e: unknown): ErrorDocument {
  if (e instanceof SluiceError) {
    return { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } }
  }
  const message = e instanceof Error ? e.message : String(e)
  return { error: { code: 'INTERNAL', message: `internal error: ${message}` } }
}
