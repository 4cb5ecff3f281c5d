import { frameFromColumns } from '../../src/data/build.js'
import type { Frame } from '../../src/data/frame.js'
import { Random } from '../../src/stats/random.js'

/** A small tabular problem with numbers, categories, missing values and infinities. */
export function tabular(rows: number, seed: number): Frame {
  const rng = new Random(seed)
  const u = () => rng.nextUint32() / 2 ** 32
  const cities = ['paris', 'lyon', 'nice', 'lille', 'brest', 'metz']
  const x1: (number | null)[] = []
  const x2: number[] = []
  const city: (string | null)[] = []
  const yes: string[] = []
  const amount: number[] = []
  for (let i = 0; i < rows; i++) {
    const a = u() * 10 - 5
    const b = Math.floor(u() * 24)
    const c = cities[Math.floor(u() * cities.length)]!
    const logit = 0.8 * a - 0.15 * (b - 12) + (c === 'nice' ? 1.5 : c === 'brest' ? -1 : 0) + (u() - 0.5) * 2
    x1.push(i % 37 === 0 ? null : i % 101 === 0 ? Number.POSITIVE_INFINITY : a)
    x2.push(b)
    city.push(i % 53 === 0 ? null : c)
    yes.push(logit > 0 ? 'yes' : 'no')
    amount.push(3 * a + 0.5 * b + (c === 'lyon' ? 4 : 0) + u())
  }
  return frameFromColumns({ x1, x2, city, yes, amount })
}
