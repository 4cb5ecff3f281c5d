import { randomBytes } from 'node:crypto'

/**
 * Time-ordered, URL-safe ids (48-bit millisecond time + 80 random bits, Crockford base32, 26 chars),
 * so ids sort by creation time in the store and in listings.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

export function newId(prefix = '', now: number = Date.now()): string {
  // Written into one array of character codes and made a string once: building it a character
  // at a time made a string per character, on every request of the model server.
  let t = now
  for (let i = 9; i >= 0; i--) {
    chars[i] = CODES[t % 32]!
    t = Math.floor(t / 32)
  }
  const bytes = random10()
  let at = 10
  let acc = 0
  let bits = 0
  for (let i = 0; i < bytes.length; i++) {
    acc = ((acc << 8) | bytes[i]!) & 0xffff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      chars[at++] = CODES[(acc >> bits) & 31]!
    }
  }
  return prefix + String.fromCharCode.apply(null, chars)
}

const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0))
const chars: number[] = new Array(26).fill(0)

// Random bytes come from a pool refilled 4 KB at a time: one randomBytes call per id was a visible
// share of the model server's time per request.
const POOL = 4096
let pool = Buffer.alloc(0)
let offset = POOL

function random10(): Buffer {
  if (offset + 10 > pool.length) {
    pool = randomBytes(POOL)
    offset = 0
  }
  offset += 10
  return pool.subarray(offset - 10, offset)
}
