import { readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from './support/browser.js'
import { json, sluice, tempDir } from './support/cli.js'

let dir: string
const run = (...args: string[]) => sluice(args, { cwd: dir })

function csv(name: string, header: string, rows: (string | number)[][]): string {
  const file = path.join(dir, name)
  writeFileSync(file, `${header}\n${rows.map((r) => r.join(',')).join('\n')}\n`)
  return name
}

beforeAll(() => {
  dir = tempDir('sluice-drift-')
  const rows = (shift: number) =>
    Array.from({ length: 3000 }, (_, i) => [
      ((i * 7919) % 1000) / 10 + shift,
      ['a', 'b', 'c'][i % 3]!,
      (i * 31) % 17,
      i % 2 ? 'yes' : 'no',
    ])
  csv('ref.csv', 'x,cat,n,label', rows(0))
  csv('same.csv', 'x,cat,n,label', rows(0))
  csv('shifted.csv', 'x,cat,n,label', rows(40))
})

describe('sluice drift', () => {
  it('prints a sluice.drift/v1 document and exits 0 whether or not drift is found', async () => {
    const r = await run('drift', '--reference', 'ref.csv', '--current', 'shifted.csv', '--json')
    expect(r.code).toBe(0)
    const doc = json<{
      schema: string
      dataset_drift: boolean
      columns: Record<
        string,
        { stattest: string; drift_detected: boolean; reference_distribution: { x: unknown[]; y: number[] } }
      >
    }>(r)
    expect(doc.schema).toBe('sluice.drift/v1')
    expect(doc.columns.x).toMatchObject({ stattest: 'wasserstein', drift_detected: true })
    expect(doc.columns.cat).toMatchObject({ stattest: 'jensenshannon', drift_detected: false })
    const shares = doc.columns.x!.reference_distribution.y
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9)
  })

  it('--fail-on-drift exits 1 on dataset drift and 0 without it', async () => {
    const drifted = await run(
      'drift',
      '--reference',
      'ref.csv',
      '--current',
      'shifted.csv',
      '--fail-on-drift',
      '--drift-share',
      '0.2',
    )
    expect(drifted.code).toBe(1)
    expect(drifted.stdout).toContain('DATASET DRIFT')
    expect(
      (await run('drift', '--reference', 'ref.csv', '--current', 'same.csv', '--fail-on-drift')).code,
    ).toBe(0)
  })

  it('takes tests and thresholds per column, per type and globally, and a mapping file', async () => {
    writeFileSync(path.join(dir, 'mapping.yaml'), 'target: label\ntask: classification\ncategorical: [n]\n')
    const r = await run(
      'drift',
      '--reference',
      'ref.csv',
      '--current',
      'shifted.csv',
      '--mapping',
      'mapping.yaml',
      '--per-column',
      'x=ks:0.01',
      '--per-type',
      'cat=psi',
      '--json',
    )
    const doc = json<{ columns: Record<string, { stattest: string; threshold: number; role: string }> }>(r)
    expect(doc.columns.x).toMatchObject({ stattest: 'ks', threshold: 0.01 })
    expect(doc.columns.n).toMatchObject({ stattest: 'psi', threshold: 0.1 })
    expect(doc.columns.label).toMatchObject({ stattest: 'psi', role: 'target' })
  })

  it('writes a self-contained HTML report that a browser renders', async () => {
    const r = await run(
      'drift',
      '--reference',
      'ref.csv',
      '--current',
      'shifted.csv',
      '--html',
      'report.html',
      '--out',
      'report.json',
    )
    expect(r.code).toBe(0)
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8')
    expect(html).not.toMatch(/<script|<link|(src|href)="https?:/) // no scripts, nothing fetched
    expect(json({ ...r, stdout: readFileSync(path.join(dir, 'report.json'), 'utf8') })).toMatchObject({
      schema: 'sluice.drift/v1',
    })
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      await page.goto(`file://${path.join(dir, 'report.html')}`)
      expect(await page.title()).toContain('Data drift')
      expect(await page.locator('table tbody tr').count()).toBe(4)
      expect(await page.locator('section.col svg').count()).toBe(4)
      expect(await page.locator('.card b').nth(1).textContent()).toBe('1 of 4')
    } finally {
      await browser.close()
    }
  })

  it('keeps the HTML report small for a million rows: aggregates only, never raw rows', async () => {
    const big = Array.from({ length: 1_000_000 }, (_, i) => `${(i * 7919) % 100003},c${i % 40}`).join('\n')
    writeFileSync(path.join(dir, 'big-ref.csv'), `v,c\n${big}\n`)
    writeFileSync(path.join(dir, 'big-cur.csv'), `v,c\n${big.replaceAll(',c1\n', ',c2\n')}\n`)
    const r = await run(
      'drift',
      '--reference',
      'big-ref.csv',
      '--current',
      'big-cur.csv',
      '--html',
      'big.html',
    )
    expect(r.code).toBe(0)
    expect(statSync(path.join(dir, 'big.html')).size).toBeLessThan(2 << 20)
  })

  it('reads dataset versions from the registry as well as files', async () => {
    expect((await run('data', 'add', 'ref.csv', '--name', 'train')).code).toBe(0)
    const r = await run('drift', '--reference', 'train@1', '--current', 'shifted.csv', '--json')
    expect(r.code).toBe(0)
    expect(json<{ reference_rows: number }>(r).reference_rows).toBe(3000)
  })

  it('exits 2 with a message that names the problem', async () => {
    writeFileSync(path.join(dir, 'empty.csv'), '')
    writeFileSync(path.join(dir, 'broken.csv'), 'x,cat\n1,a\n2\n')
    const cases: [string[], RegExp][] = [
      [['--current', 'nope.csv'], /nope\.csv does not exist/],
      [['--current', 'empty.csv'], /empty\.csv is empty/],
      [['--current', 'broken.csv'], /broken\.csv:3: expected 2 fields/],
      [
        ['--current', 'same.csv', '--target', 'price'],
        /column "price" given as target is not in the data; its columns are x, cat, n, label/,
      ],
      [
        ['--current', 'same.csv', '--numerical', 'cat'],
        /"cat" is given as numerical but holds non-numeric values/,
      ],
      [
        ['--current', 'same.csv', '--stattest', 'kolmogorov'],
        /unknown drift test "kolmogorov"; tests for num columns: ks, wasserstein/,
      ],
      [
        ['--current', 'same.csv', '--per-column', 'cat=ks'],
        /drift test "ks" does not apply to cat column "cat"; tests for cat columns: chisquare/,
      ],
      [
        ['--current', 'same.csv', '--per-column', 'cat'],
        /--per-column "cat" must be NAME=TEST\[:THRESHOLD\]/,
      ],
      [['--current', 'same.csv', '--correction', 'holm'], /--correction must be bonferroni or bh/],
      [['--current', 'same.csv', '--threshold', 'low'], /--threshold must be a number/],
    ]
    for (const [args, message] of cases) {
      const r = await run('drift', '--reference', 'ref.csv', ...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(message)
    }
  })

  it('reports columns that cannot be tested, and columns missing on one side, without failing', async () => {
    csv(
      'gaps-ref.csv',
      'x,gone,empty',
      Array.from({ length: 50 }, (_, i) => [i, 'a', '']),
    )
    csv(
      'gaps-cur.csv',
      'x,empty,extra',
      Array.from({ length: 50 }, (_, i) => [i + 1, i, 'z']),
    )
    const r = await run('drift', '--reference', 'gaps-ref.csv', '--current', 'gaps-cur.csv', '--json')
    expect(r.code).toBe(0)
    const doc = json<{
      missing_columns: unknown
      number_of_columns: number
      columns: Record<string, { error?: string }>
    }>(r)
    expect(doc.missing_columns).toEqual({ in_current: ['gone'], in_reference: ['extra'] })
    expect(doc.columns.empty!.error).toMatch(/no values in the reference data/)
    expect(doc.number_of_columns).toBe(1)
  })
})
