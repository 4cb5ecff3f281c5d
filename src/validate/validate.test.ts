import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../core/config.js'
import { sha256Bytes } from '../core/hash.js'
import { frameFromColumns } from '../data/build.js'
import { LocalRegistry } from '../registry/local.js'
import { parseContract } from './contract.js'
import { validateData, validateFrame } from './validate.js'

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i))

/** 600 rows of a numeric and a categorical column; `shift` moves the numbers and the categories. */
const sample = (shift: number) =>
  frameFromColumns({
    x: range(600, (i) => ((i * 7919) % 1000) / 10 + shift),
    cat: range(600, (i) => (shift ? ['c', 'c', 'd'] : ['a', 'b', 'c'])[i % 3]!),
  })

const driftOf = async (
  current: ReturnType<typeof sample>,
  yaml = 'dataset:\n  drift: {drift_share: 0.5}\n',
) =>
  (await validateFrame(current, parseContract(yaml, 'c.yaml'), { reference: sample(0) })).find(
    (r) => r.check === 'drift',
  )!

describe('validateFrame: drift against a reference', () => {
  it('passes when the data did not drift', async () => {
    const r = await driftOf(sample(0))
    expect(r).toMatchObject({ observed: 0, expected: 0.5, passed: true })
    expect(r.examples).toBeUndefined()
  })

  it('fails when the share of drifted columns reaches drift_share, naming the drifted columns', async () => {
    const r = await driftOf(sample(40))
    expect(r).toMatchObject({ observed: 1, passed: false, examples: ['x', 'cat'] })
    expect(r.message).toContain('2 of 2 columns drifted (100%)')
  })

  it('uses the tests, thresholds and columns of the contract', async () => {
    // Only x is tested; with a threshold no distance reaches, it does not drift.
    const r = await driftOf(
      sample(40),
      'dataset:\n  drift: {columns: [x], stattest: wasserstein, threshold: 1000}\n',
    )
    expect(r).toMatchObject({ observed: 0, passed: true })
  })

  it('turns a drift setup that does not fit the data into a failed check', async () => {
    const r = await driftOf(sample(0), 'dataset:\n  drift: {columns: [nope]}\n')
    expect(r.passed).toBe(false)
    expect(r.message).toContain(
      'drift could not be computed: column "nope" is not a column the report can test',
    )
  })
})

describe('validateData', () => {
  const open: LocalRegistry[] = []
  afterEach(async () => {
    while (open.length) await open.pop()!.close()
  })

  function files() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-validate-'))
    const write = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text)
      return path.join(dir, name)
    }
    const csv = 'id,amount,day\n1,10,2001-06-01\n2,20,2001-06-02\n3,30,2001-06-03\n'
    return {
      dir,
      csv,
      data: write('data.csv', csv),
      reference: write('ref.csv', csv),
      contract: write(
        'contract.yaml',
        'columns:\n  amount: {min: 15}\ndataset:\n  freshness: {column: day, max_age: 1d}\n',
      ),
    }
  }

  it('builds the sluice.validation/v1 document with fingerprints and a verdict', async () => {
    const f = files()
    const doc = await validateData({
      data: f.data,
      contract: f.contract,
      reference: f.reference,
      now: new Date('2001-06-03T12:00:00Z'),
    })
    expect(doc).toMatchObject({
      schema: 'sluice.validation/v1',
      data: { path: f.data, fingerprint: sha256Bytes(f.csv), rows: 3 },
      contract: f.contract,
      reference: { path: f.reference, dataset: null, fingerprint: sha256Bytes(f.csv), rows: 3 },
      checked_at: '2001-06-03T12:00:00.000Z',
      passed: false,
      summary: { checks: 4, failed: 1, skipped: 0 },
    })
    expect(doc.checks.map((c) => [c.check, c.passed])).toEqual([
      ['required', true],
      ['min', false],
      ['freshness', true],
      ['drift', true],
    ])
  })

  it('fetches a reference given as a registered dataset version', async () => {
    const f = files()
    const registry = await LocalRegistry.open(loadConfig({ cwd: f.dir, env: {} }))
    open.push(registry)
    await registry.addDataset('payments', f.reference)
    const doc = await validateData({
      data: f.data,
      contract: f.contract,
      reference: 'payments@latest',
      withRegistry: (fn) => fn(registry),
    })
    expect(doc.reference).toEqual({
      path: null,
      dataset: 'payments@1',
      fingerprint: sha256Bytes(f.csv),
      rows: 3,
    })
    expect(doc.checks.find((c) => c.check === 'drift')).toMatchObject({ observed: 0, passed: true })
  })

  it('says which input is missing', async () => {
    const f = files()
    await expect(
      validateData({ data: path.join(f.dir, 'nope.csv'), contract: f.contract }),
    ).rejects.toMatchObject({
      code: 'UNREADABLE_FILE',
      message: `${path.join(f.dir, 'nope.csv')} does not exist; check the path`,
    })
    await expect(
      validateData({ data: f.data, contract: f.contract, reference: 'payments@2' }),
    ).rejects.toMatchObject({
      code: 'UNREADABLE_FILE',
      message: expect.stringContaining('payments@2 is not a file'),
    })
  })
})
