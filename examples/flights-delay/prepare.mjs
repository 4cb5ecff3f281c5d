// Prepares the flight-delay data: January–February 2001 for training, March for evaluation, with
// the model's features derived from the raw flights — hour and weekday of `date` (UTC), distance,
// origin, destination — and the label `delayed` (delay over 15 minutes).
//   node prepare.mjs FLIGHTS.parquet OUT_DIR
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { cell, frameFromColumns, loadFrame, sliceWindow, writeFrame } from 'sluice'

const [flights, out] = process.argv.slice(2)
if (!flights || !out) {
  console.error('usage: node prepare.mjs FLIGHTS.parquet OUT_DIR')
  process.exit(2)
}

function features(frame) {
  const col = (name) => frame.columns.find((c) => c.name === name)
  const [date, delay, distance, origin, destination] = ['date', 'delay', 'distance', 'origin', 'destination'].map(col)
  const rows = Array.from({ length: frame.rows }, (_, r) => r)
  return frameFromColumns({
    hour: rows.map((r) => new Date(date.values[r]).getUTCHours()),
    weekday: rows.map((r) => new Date(date.values[r]).getUTCDay()),
    distance: rows.map((r) => cell(distance, r)),
    origin: rows.map((r) => cell(origin, r)),
    destination: rows.map((r) => cell(destination, r)),
    delayed: rows.map((r) => (cell(delay, r) > 15 ? 1 : 0)),
  })
}

const { frame } = await loadFrame(flights)
mkdirSync(out, { recursive: true })
for (const [name, from, to] of [
  ['train', '2001-01-01', '2001-03-01'],
  ['eval', '2001-03-01', '2001-04-01'],
]) {
  const part = features(sliceWindow(frame, { column: 'date', from, to }))
  await writeFrame(part, path.join(out, `${name}.parquet`))
  console.log(`${name}: ${part.rows.toLocaleString('en-US')} flights from ${from} to ${to}`)
}
