// Writes the drift benchmark's inputs into bench/out/drift/ (once; reused when present):
// - synthetic: 1M reference + 1M current rows × 20 numerical + 5 categorical columns (CSV), some
//   columns drifted in the current data;
// - flights: the real vega-datasets flights, January–February 2001 (reference) vs June 2001 (current), as CSV.
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { frameFromColumns } from '../src/data/build.js'
import type { Frame } from '../src/data/frame.js'
import { loadFrame } from '../src/data/load.js'
import { sliceWindow } from '../src/data/select.js'
import { writeFrame } from '../src/data/write.js'
import { FLIGHTS_PARQUET } from '../test/support/flights.js'

export const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'out', 'drift')
export const FILES = {
  syntheticReference: path.join(OUT, 'synthetic-reference.csv'),
  syntheticCurrent: path.join(OUT, 'synthetic-current.csv'),
  flightsReference: path.join(OUT, 'flights-jan-feb.csv'),
  flightsCurrent: path.join(OUT, 'flights-june.csv'),
}

/** Seeded uniform numbers (mulberry32), so the data is the same on every run. */
function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function synthetic(rows: number, seed: number, drifted: boolean): Frame {
  const u = rng(seed)
  const normal = () => Math.sqrt(-2 * Math.log(u() + 1e-300)) * Math.cos(2 * Math.PI * u())
  const columns: Record<string, number[] | string[]> = {}
  for (let c = 0; c < 20; c++) {
    // Columns 0, 5, 10, 15 drift in the current data; the others do not.
    const shift = drifted && c % 5 === 0 ? 0.25 : 0
    const kind = c % 4
    columns[`num_${c}`] = Array.from({ length: rows }, () => {
      const z = normal() + shift
      if (kind === 0) return Math.round(z * 1e4) / 1e4
      if (kind === 1) return Math.round(Math.exp(z / 2) * 1e3) / 1e3
      if (kind === 2) return Math.round(u() * 1000 + shift * 100)
      return Math.round((z * 15 + 50) * 100) / 100
    })
  }
  for (let c = 0; c < 5; c++) {
    const categories = [4, 12, 30, 50, 8][c]!
    const skew = drifted && c === 1 ? 1.6 : 1.2
    columns[`cat_${c}`] = Array.from({ length: rows }, () => `c${Math.floor(categories * u() ** skew)}`)
  }
  return frameFromColumns(columns)
}

export async function ensureDriftData(): Promise<typeof FILES> {
  mkdirSync(OUT, { recursive: true })
  if (!existsSync(FILES.syntheticReference))
    await writeFrame(synthetic(1_000_000, 1, false), FILES.syntheticReference)
  if (!existsSync(FILES.syntheticCurrent))
    await writeFrame(synthetic(1_000_000, 2, true), FILES.syntheticCurrent)
  if (!existsSync(FILES.flightsReference) || !existsSync(FILES.flightsCurrent)) {
    const { frame } = await loadFrame(FLIGHTS_PARQUET)
    await writeFrame(
      sliceWindow(frame, { column: 'date', from: '2001-01-01', to: '2001-03-01' }),
      FILES.flightsReference,
    )
    await writeFrame(
      sliceWindow(frame, { column: 'date', from: '2001-06-01', to: '2001-07-01' }),
      FILES.flightsCurrent,
    )
  }
  return FILES
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = performance.now()
  await ensureDriftData()
  console.log(`drift benchmark data ready in ${OUT} (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
}
