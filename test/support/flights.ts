import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The real 3-million-row US flights file of 2001 shipped by the vega-datasets npm package. */
export const FLIGHTS_PARQUET = path.join(
  path.dirname(fileURLToPath(import.meta.resolve('vega-datasets'))),
  '..',
  'data',
  'flights-3m.parquet',
)
