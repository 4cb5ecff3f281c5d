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
  const bytes = randomBytes(10)
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
