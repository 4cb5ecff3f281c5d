import crypto, { createHash, randomBytes } from 'node:crypto'

/**
 * API token secrets: `slc_` and 32 random bytes in base64url (43 characters). A secret this long
 * cannot be guessed, so a plain SHA-256 of it is what the store keeps (as GitHub and Stripe do): a
 * slow hash (scrypt, bcrypt) protects low-entropy passwords from guessing and would only add
 * milliseconds to every request here. The first 8 characters after `slc_` are the token's id,
 * stored in clear to find the token (and shown in listings); the other 35 (about 208 bits) stay
 * secret.
 */
export const TOKEN_PATTERN = /^slc_[A-Za-z0-9_-]{43}$/
const SECRET_BYTES = 32
const ID_LENGTH = 'slc_'.length + 8

export interface NewSecret {
  /** The secret, shown once. */
  token: string
  /** Its id (`slc_` and 8 characters): not secret. */
  id: string
  /** SHA-256 of the secret, hex. */
  hash: string
}

export function newSecret(): NewSecret {
  const token = `slc_${randomBytes(SECRET_BYTES).toString('base64url')}`
  return { token, id: tokenId(token), hash: hashToken(token).toString('hex') }
}

export const tokenId = (token: string): string => token.slice(0, ID_LENGTH)

/** SHA-256 of a token: Node's one-shot `crypto.hash` where it has one (20.12+, a third faster), else a Hash. */
export const hashToken: (token: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (token) => crypto.hash('sha256', token, 'buffer')
    : (token) => createHash('sha256').update(token).digest()

/**
 * The token of an `Authorization: Bearer …` header; null when the header is not of that form.
 * The scheme is case-insensitive (RFC 7235).
 */
export function bearerToken(header: string): string | null {
  const m = /^bearer +([^\s]+) *$/i.exec(header)
  return m ? m[1]! : null
}
