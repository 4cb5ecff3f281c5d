import { randomBytes } from 'node:crypto'

/**
 * Time-ordered, URL-safe ids (48-bit millisecond time + 80 random bits, Crockford base32, 26 chars),
 * so ids sort by creation time in the store and in listings.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

export function newId(prefix = '', now: number = Date.now()): string {
  let time = ''
  let t = now
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time
    t = Math.floor(t / 32)
  }
  const bytes = random10()
  let rand = ''
  let acc = 0
  let bits = 0
  for (const b of bytes) {
    acc = (acc << 8) | b
    bits += 8
    while (bits >= 5) {
      bits -= 5
      rand += ALPHABET[(acc >> bits) & 31]
    }
  }
  return prefix + time + rand
}

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
