import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { json, sluice, tempDir } from './support/cli.js'

let dir: string
const run = (...args: string[]) => sluice(args, { cwd: dir })
const write = (name: string, text: string) => writeFileSync(path.join(dir, name), text)

interface Doc {
  schema: string
  data: { path: string; fingerprint: string; rows: number }
  reference: { path: string | null; dataset: string | null; rows: number } | null
  checked_at: string
  passed: boolean
  summary: { checks: number; failed: number; skipped: number }
  checks: { check: string; column: string | null; observed: unknown; passed: boolean; message: string }[]
}

const NOW = '2001-07-01T00:00:00Z'

beforeAll(() => {
  dir = tempDir('sluice-validate-')
  const rows = (shift: number, bad = false) =>
    Array.from({ length: 1200 }, (_, i) => {
      const origin = bad && i === 7 ? 'jfk' : ['JFK', 'LAX', 'ORD'][i % 3]
      const distance = bad && i === 3 ? -5 : ((i * 7919) % 3000) + shift
      return `${i},${distance},${origin},2001-06-${String(1 + (i % 28)).padStart(2, '0')}`
    })
  const csv = (name: string, lines: string[]) => write(name, `id,distance,origin,date\n${lines.join('\n')}\n`)
  csv('ref.csv', rows(0))
  csv('good.csv', rows(0))
  csv('bad.csv', rows(0, true))
  csv('shifted.csv', rows(2000))
  write(
    'contract.yaml',
    [
      'columns:',
      '  id: {type: integer, unique: true}',
      '  distance: {type: number, min: 0, max: 6000, max_missing: 0}',
      "  origin: {type: category, allowed: [JFK, LAX, ORD], regex: '^[A-Z]{3}$'}",
      '  date: {type: datetime}',
      'dataset:',
      '  rows: {min: 1000}',
      '  freshness: {column: date, max_age: 7d}',
      '  drift: {drift_share: 0.5, mapping: {id: id}}',
      '',
    ].join('\n'),
  )
})

describe('sluice validate', () => {
  it('exits 0 and prints the table of checks when every check passes', async () => {
    const r = await run('validate', 'good.csv', '--contract', 'contract.yaml', '--now', NOW)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toMatch(/^CHECK\s+COLUMN\s+OBSERVED\s+EXPECTED\s+RESULT$/)
    expect(lines[1]).toMatch(/^rows\s+-\s+1200\s+≥ 1000\s+ok$/)
    expect(r.stdout).toMatch(/\nmin\s+distance\s+0\s+≥ 0\s+ok\n/)
    expect(r.stdout).toMatch(/\ndrift\s+-\s+-\s+< 50% drifted\s+skipped\n/)
    expect(r.stdout).toContain('PASSED: 16 checks passed, 1 skipped')
  })

  it('exits 1 when a check fails, marks it FAIL and explains it', async () => {
    const r = await run('validate', 'bad.csv', '--contract', 'contract.yaml', '--now', NOW)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/\nmin\s+distance\s+-5\s+≥ 0\s+FAIL\n/)
    expect(r.stdout).toMatch(
      /\nallowed\s+origin\s+1 not allowed: "jfk"\s+one of "JFK", "LAX", "ORD"\s+FAIL\n/,
    )
    expect(r.stdout).toContain('distance: 1 value is below 0; the smallest is -5')
    expect(r.stdout).toContain('FAILED: 3 of 17 checks failed')
  })

  it('--json prints the sluice.validation/v1 document and --out writes it too', async () => {
    const r = await run(
      'validate',
      'bad.csv',
      '--contract',
      'contract.yaml',
      '--now',
      NOW,
      '--json',
      '--out',
      'out/v.json',
    )
    expect(r.code).toBe(1)
    const doc = json<Doc>(r)
    expect(doc).toMatchObject({
      schema: 'sluice.validation/v1',
      data: { path: 'bad.csv', rows: 1200 },
      reference: null,
      checked_at: '2001-07-01T00:00:00.000Z',
      passed: false,
      summary: { checks: 17, failed: 3, skipped: 1 },
    })
    expect(doc.data.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(doc.checks.filter((c) => !c.passed).map((c) => `${c.check}:${c.column}`)).toEqual([
      'min:distance',
      'allowed:origin',
      'regex:origin',
    ])
    expect(JSON.parse(readFileSync(path.join(dir, 'out/v.json'), 'utf8'))).toEqual(doc)
  })

  it('checks drift against a reference file or a registered dataset version', async () => {
    const same = json<Doc>(
      await run(
        'validate',
        'good.csv',
        '--contract',
        'contract.yaml',
        '--reference',
        'ref.csv',
        '--now',
        NOW,
        '--json',
      ),
    )
    expect(same.passed).toBe(true)
    expect(same.checks.at(-1)).toMatchObject({ check: 'drift', observed: 0, passed: true })

    const shifted = await run(
      'validate',
      'shifted.csv',
      '--contract',
      'contract.yaml',
      '--reference',
      'ref.csv',
      '--now',
      NOW,
    )
    expect(shifted.code).toBe(1)
    expect(shifted.stdout).toMatch(/\ndrift\s+-\s+\d+% drifted: "distance"\s+< 50% drifted\s+FAIL\n/)

    expect((await run('data', 'add', 'ref.csv', '--name', 'flights')).code).toBe(0)
    const registered = await run(
      'validate',
      'good.csv',
      '--contract',
      'contract.yaml',
      '--reference',
      'flights@1',
      '--now',
      NOW,
      '--json',
    )
    expect(registered.code).toBe(0)
    expect(json<Doc>(registered).reference).toMatchObject({ path: null, dataset: 'flights@1', rows: 1200 })
  })

  it('exits 2 with a message naming the line and the key of an invalid contract, and writes nothing', async () => {
    write('typo.yaml', 'columns:\n  distance:\n    minimum: 0\n')
    const r = await run('validate', 'good.csv', '--contract', 'typo.yaml', '--out', 'typo.json')
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(
      'sluice: error: typo.yaml:3: unknown key "columns.distance.minimum"; expected one of: type',
    )
    expect(existsSync(path.join(dir, 'typo.json'))).toBe(false)

    const j = await run('validate', 'good.csv', '--contract', 'typo.yaml', '--json')
    expect(j.code).toBe(2)
    expect(json(j)).toMatchObject({ schema: 'sluice.error/v1', error: { code: 'INVALID_CONFIG' } })
  })

  it('exits 2 for a missing file, a missing --contract and a bad --now', async () => {
    const missing = await run('validate', 'nope.csv', '--contract', 'contract.yaml')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('nope.csv does not exist; check the path')
    const noContract = await run('validate', 'good.csv', '--contract', 'none.yaml')
    expect(noContract.code).toBe(2)
    expect(noContract.stderr).toContain('contract file none.yaml does not exist')
    expect((await run('validate', 'good.csv')).code).toBe(2)
    const badNow = await run('validate', 'good.csv', '--contract', 'contract.yaml', '--now', 'yesterday')
    expect(badNow.code).toBe(2)
    expect(badNow.stderr).toContain('--now "yesterday" is not an ISO-8601 time')
  })
})
