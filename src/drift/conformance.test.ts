import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { type CellValue, frameFromColumns } from '../data/build.js'
import { driftReport } from './report.js'

/** The project's reference cases, copied into the repository (see test/fixtures/conformance/README.md). */
const FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../test/fixtures/conformance/drift-stattests.json',
)
const conformance = JSON.parse(readFileSync(FILE, 'utf8')) as {
  cases: {
    id: string
    stattest: string
    column_type: 'num' | 'cat'
    threshold: number
    reference: CellValue[]
    current: CellValue[]
    score: number
    drift_detected: boolean | null
    tolerance: number
  }[]
  default_selection: {
    reference: CellValue[]
    current: CellValue[]
    column_type: 'num' | 'cat'
    expected: string
  }[]
  reports: {
    id: string
    threshold: number
    drift_share: number
    mapping: Record<string, unknown>
    reference: Record<string, CellValue[]>
    current: Record<string, CellValue[]>
    expected: {
      columns: Record<string, { stattest: string; score: number; drift_detected: boolean }>
      number_of_columns: number
      number_of_drifted_columns: number
      dataset_drift: boolean
    }
  }[]
}

const typed = (type: 'num' | 'cat') => (type === 'num' ? { numerical: ['x'] } : { categorical: ['x'] })

describe('conformance: drift statistics', () => {
  for (const c of conformance.cases) {
    it(`${c.id}: ${c.stattest} = ${c.score}`, async () => {
      const report = await driftReport(
        frameFromColumns({ x: c.reference }),
        frameFromColumns({ x: c.current }),
        {
          mapping: typed(c.column_type),
          stattest: c.stattest,
          threshold: c.threshold,
        },
      )
      const col = report.columns.x!
      expect(col.error).toBeUndefined()
      expect(col.stattest).toBe(c.stattest)
      expect(Math.abs(col.score! - c.score)).toBeLessThanOrEqual(c.tolerance)
      if (c.drift_detected !== null) expect(col.drift_detected).toBe(c.drift_detected)
    })
  }
})

describe('conformance: default test selection', () => {
  conformance.default_selection.forEach((c, i) => {
    it(`case ${i + 1}: ${c.column_type} column → ${c.expected}`, async () => {
      const report = await driftReport(
        frameFromColumns({ x: c.reference }),
        frameFromColumns({ x: c.current }),
        {
          mapping: typed(c.column_type),
        },
      )
      expect(report.columns.x!.stattest).toBe(c.expected)
    })
  })
})

describe('conformance: whole reports', () => {
  for (const r of conformance.reports) {
    it(`${r.id}`, async () => {
      const report = await driftReport(frameFromColumns(r.reference), frameFromColumns(r.current), {
        mapping: r.mapping,
        threshold: r.threshold,
        driftShare: r.drift_share,
      })
      for (const [name, want] of Object.entries(r.expected.columns)) {
        const got = report.columns[name]!
        expect(got.stattest, name).toBe(want.stattest)
        expect(got.score!, name).toBeCloseTo(want.score, 6)
        expect(got.drift_detected, name).toBe(want.drift_detected)
      }
      expect(report.number_of_columns).toBe(r.expected.number_of_columns)
      expect(report.number_of_drifted_columns).toBe(r.expected.number_of_drifted_columns)
      expect(report.dataset_drift).toBe(r.expected.dataset_drift)
    })
  }
})
