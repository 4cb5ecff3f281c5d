import { newId } from '../../core/ids.js'

/** Longest request id kept: it travels in a header, in every log line and in every prediction record. */
export const MAX_REQUEST_ID = 256

/** Printable ASCII, spaces and tabs: what an `x-request-id` header carries the same in every client. */
const HEADER_TEXT = /^[\t\x20-\x7e]*$/

/**
 * Why `id` cannot go in the x-request-id header, as the end of a sentence that starts with where
 * it came from (`header x-request-id "…"`); null when it can: text a header carries intact, and
 * short. A client's x-request-id header must pass; a body `id` that does not is still echoed in
 * the body, and the header carries another id.
 */
export function requestIdProblem(id: string): string | null {
  if (id.length > MAX_REQUEST_ID)
    return `is ${id.length} characters long; a request id has at most ${MAX_REQUEST_ID}`
  if (!HEADER_TEXT.test(id))
    return 'has a character an HTTP header cannot carry; the id is echoed in the x-request-id header, so use printable ASCII (letters, digits, punctuation, spaces)'
  if (/^[\t ]|[\t ]$/.test(id))
    return 'starts or ends with a space or tab, which a header does not keep; the id is echoed in the x-request-id header'
  return null
}

/** An id as a message quotes it: JSON-escaped, cut after 40 characters. */
export const quoteId = (id: string): string => JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}…` : id)

/** The client's request id when a header can echo it, else a new one (for replies made before the handler). */
export const replyId = (given: string | undefined): string =>
  given && !requestIdProblem(given) ? given : newId('req_')
