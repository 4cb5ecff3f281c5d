// Prepares the model benchmark's data from the real flights (vega-datasets), once, into
// bench/out/models/: train = January–February 2001, test = March 2001; features hour (0–23) and
// weekday (0 = Sunday) from `date` read as UTC, distance, origin, destination; label delayed =
// delay > 15 minutes. Parquet for sluice, CSV for scikit-learn (the system Python has no Parquet reader).
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { frameFromColumns } from '../src/data/build.js'
import { cell, type Frame } from '../src/data/frame.js'
import { loadFrame } from '../src/data/load.js'
import { sliceWindow } from '../src/data/select.js'
import { writeFrame } from '../src/data/write.js'
import { FLIGHTS_PARQUET } from '../test/support/flights.js'

export const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'out', 'models')
export const MODEL_FILES = {
  trainParquet: path.join(OUT, 'flights-train.parquet'),
  testParquet: path.join(OUT, 'flights-test.parquet'),
  trainCsv: path.join(OUT, 'flights-train.csv'),
  testCsv: path.join(OUT, 'flights-test.csv'),
}
export const FEATURES = ['hour', 'weekday', 'distance', 'origin', 'destination']

function derive(frame: Frame): Frame {
  const col = (name: string) => frame.columns.find((c) => c.name === name)!
  const date = col('date')
  const delay = col('delay')
  const rows = Array.from({ length: frame.rows }, (_, i) => i)
  const ms = (r: number) => (date.kind === 'datetime' ? date.values[r]! : Number.NaN)
  return frameFromColumns({
    hour: rows.map((r) => new Date(ms(r)).getUTCHours()),
    weekday: rows.map((r) => new Date(ms(r)).getUTCDay()),
    distance: rows.map((r) => cell(col('distance'), r) as number),
    origin: rows.map((r) => cell(col('origin'), r) as string),
    destination: rows.map((r) => cell(col('destination'), r) as string),
    delayed: rows.map((r) => ((cell(delay, r) as number) > 15 ? 1 : 0)),
  })
}

export async function ensureModelData(): Promise<typeof MODEL_FILES> {
  mkdirSync(OUT, { recursive: true })
  if (Object.values(MODEL_FILES).every((f) => existsSync(f))) return MODEL_FILES
  const { frame } = await loadFrame(FLIGHTS_PARQUET)
  const train = derive(sliceWindow(frame, { column: 'date', from: '2001-01-01', to: '2001-03-01' }))
  const test = derive(sliceWindow(frame, { column: 'date', from: '2001-03-01', to: '2001-04-01' }))
  await writeFrame(train, MODEL_FILES.trainParquet)
  await writeFrame(test, MODEL_FILES.testParquet)
  await writeFrame(train, MODEL_FILES.trainCsv)
  await writeFrame(test, MODEL_FILES.testCsv)
  return MODEL_FILES
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await ensureModelData()
  console.log(`model benchmark data ready in ${OUT}`)
}
