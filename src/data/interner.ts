/**
 * Dictionary encoding without allocating: finds the code of text[start, end) by hashing and
 * comparing its characters in place, so a CSV column of repeated categories creates one string
 * per distinct value, not one per cell. Open addressing, FNV-1a over UTF-16 code units.
 */
export class Interner {
  readonly values: string[] = []
  private slots = new Int32Array(64).fill(-1)
  private hashes: number[] = []

  /** The code of text[start, end), adding it if new. */
  internRange(text: string, start: number, end: number): number {
    let h = 0x811c9dc5
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
    h >>>= 0
    const mask = this.slots.length - 1
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const code = this.slots[s]!
      if (code === -1) return this.add(text.slice(start, end), h, s)
      if (this.hashes[code] === h && equalsRange(this.values[code]!, text, start, end)) return code
    }
  }

  intern(value: string): number {
    return this.internRange(value, 0, value.length)
  }

  private add(value: string, hash: number, slot: number): number {
    const code = this.values.length
    this.values.push(value)
    this.hashes.push(hash)
    this.slots[slot] = code
    if (this.values.length * 2 > this.slots.length) this.rehash()
    return code
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1)
    const mask = slots.length - 1
    this.hashes.forEach((h, code) => {
      let s = h & mask
      while (slots[s] !== -1) s = (s + 1) & mask
      slots[s] = code
    })
    this.slots = slots
  }
}

function equalsRange(value: string, text: string, start: number, end: number): boolean {
  if (value.length !== end - start) return false
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) !== text.charCodeAt(start + i)) return false
  return true
}
