import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { GateResult } from '../src/gates/types.js'
import { json, sluice, tempDir } from './support/cli.js'

let dir: string
// Never append to the summary of a CI run that runs these tests.
const run = (args: string[], env: Record<string, string> = {}) =>
  sluice(args, { cwd: dir, env: { GITHUB_STEP_SUMMARY: '', ...env } })
const gate = (...args: string[]) => run(['gate', ...args])

const RULES = `gates:
  metrics:
    accuracy: {threshold: 0.6}
    roc_auc: {min_absolute_change: 0.01, significance: 0.05}
    log_loss: {threshold: 0.7, min_relative_change: 0.05}
  slices:
    city: {recall: {threshold: 0.3}}
  budgets: {model_size_mb: 20, latency_ms_p99: 1000}
`

beforeAll(async () => {
  dir = tempDir('sluice-gate-')
  const cities = ['paris', 'lyon', 'nice', 'brest']
  const rows = (n: number, offset: number) =>
    Array.from({ length: n }, (_, k) => {
      const i = k + offset
      const a = ((i * 7919) % 1000) / 100 - 5
      const h = (i * 31) % 24
      const c = cities[(i * 13) % 4]!
      const noise = (((i * 104729) % 100) / 100 - 0.5) * 3
      const y = 0.9 * a - 0.1 * (h - 12) + (c === 'nice' ? 1.5 : 0) + noise > 0 ? 'late' : 'on-time'
      return `${i},${a},${h},${c},${y}`
    })
  writeFileSync(path.join(dir, 'train.csv'), `id,a,hour,city,status\n${rows(3000, 0).join('\n')}\n`)
  writeFileSync(path.join(dir, 'test.csv'), `id,a,hour,city,status\n${rows(1500, 5000).join('\n')}\n`)
  writeFileSync(path.join(dir, 'sluice.yaml'), RULES)
  const train = (features: string, out: string, ...more: string[]) =>
    run([
      'train',
      '--algo',
      'gbdt',
      '--data',
      'train.csv',
      '--target',
      'status',
      '--features',
      features,
      '--out',
      out,
      ...more,
    ])
  const evaluate = (model: string, out: string) =>
    run([
      'evaluate',
      model,
      '--data',
      'test.csv',
      '--target',
      'status',
      '--slice-by',
      'city',
      '--id',
      'id',
      '--predictions-out',
      out.replace('.json', '.csv'),
      '--out',
      out,
    ])
  // The registered model is the weak one (hour only): the candidate must beat it.
  for (const r of await Promise.all([
    train('hour', 'weak.onnx', '--register', 'lateness'),
    train('a,hour,city', 'good.onnx'),
  ]))
    expect(r.code, r.stderr).toBe(0)
  for (const r of await Promise.all([evaluate('good.onnx', 'good.json'), evaluate('weak.onnx', 'weak.json')]))
    expect(r.code, r.stderr).toBe(0)
})

describe('sluice gate', () => {
  it('with no champion yet: thresholds apply, comparisons pass with a note', async () => {
    const r = await gate('--evaluation', 'good.json', '--against', 'lateness@champion', '--json')
    expect(r.code, r.stderr).toBe(0)
    const doc = json<GateResult>(r)
    expect(doc).toMatchObject({
      schema: 'sluice.gate/v1',
      passed: true,
      baseline: null,
      note: 'model "lateness" has no "champion" yet, so there is nothing to compare with',
      bootstrap: null,
    })
    const comparisons = doc.rules.filter((x) => x.condition !== 'threshold' && x.condition !== 'budget')
    expect(comparisons.map((x) => x.name)).toEqual([
      'roc_auc min_absolute_change',
      'roc_auc significance',
      'log_loss min_relative_change',
    ])
    for (const x of comparisons) expect(x).toMatchObject({ passed: true, reason: `passes: ${doc.note}` })
    const human = await gate('--evaluation', 'good.json', '--against', 'lateness@champion')
    expect(human.stdout).toMatch(/^gate passed \(11 rules\) — good\.onnx\n/)
    expect(human.stdout).toContain(`note: ${doc.note}`)
  })

  it('against the champion: evaluates it on the same data and tests the improvement (exit 0)', async () => {
    expect((await run(['models', 'alias', 'lateness', 'champion', '1'])).code).toBe(0)
    const r = await gate(
      '--evaluation',
      'good.json',
      '--against',
      'lateness@champion',
      '--json',
      '--out',
      'gate.json',
    )
    expect(r.code, r.stderr).toBe(0)
    const doc = json<GateResult>(r)
    expect(doc).toMatchObject({
      passed: true,
      candidate: { name: 'good.onnx', version: null, dataset: 'test.csv' },
      baseline: { name: 'lateness', version: 1 },
      note: null,
      bootstrap: { method: 'paired-percentile', seed: 0, resamples: 1000, rows: 1500 },
      summary: { rules: 11, passed: 11, failed: 0 },
    })
    expect(Object.keys(doc.rules[0]!).slice(0, 7)).toEqual([
      'name',
      'metric',
      'slice',
      'observed',
      'expected',
      'passed',
      'reason',
    ])
    const significance = doc.rules.find((x) => x.name === 'roc_auc significance')!
    expect(significance.ci!.confidence).toBe(0.95)
    expect(significance.ci!.low).toBeGreaterThan(0)
    expect(significance.ci!.improvement).toBeCloseTo(significance.candidate! - significance.baseline!, 3)
    expect(doc.rules.filter((x) => x.slice).map((x) => x.slice!.value)).toEqual([
      'brest',
      'lyon',
      'nice',
      'paris',
    ])
    expect(JSON.parse(readFileSync(path.join(dir, 'gate.json'), 'utf8'))).toEqual(doc)
  })

  it('a candidate that is the champion itself passes its comparisons with a note, not against itself', async () => {
    // weak.onnx is lateness@1, the champion: a pipeline re-run whose model did not change.
    const r = await gate('--evaluation', 'weak.json', '--against', 'lateness@champion', '--json')
    const doc = json<GateResult>(r)
    expect(doc).toMatchObject({
      baseline: null,
      note: 'the candidate is lateness@1 itself (the same model file), so there is nothing to compare with',
    })
    const comparisons = doc.rules.filter((x) => x.condition !== 'threshold' && x.condition !== 'budget')
    expect(comparisons).toHaveLength(3)
    for (const x of comparisons) expect(x).toMatchObject({ passed: true, reason: `passes: ${doc.note}` })
    // Its thresholds still apply: the weak model fails them (exit 1), as it would on its own.
    expect(doc.rules.filter((x) => !x.passed).map((x) => x.name)).toEqual([
      'accuracy threshold',
      'city=nice recall threshold',
    ])
    expect(r.code).toBe(1)
  })

  it('the same seed gives the same interval; another seed another one', async () => {
    const ci = async (seed: string) => {
      const r = await gate(
        '--evaluation',
        'good.json',
        '--baseline',
        'weak.json',
        '--seed',
        seed,
        '--resamples',
        '200',
        '--json',
      )
      expect(r.code, r.stderr).toBe(0)
      const doc = json<GateResult>(r)
      expect(doc.bootstrap).toMatchObject({ seed: Number(seed), resamples: 200 })
      return doc.rules.find((x) => x.condition === 'significance')!.ci
    }
    const a = await ci('3')
    expect(await ci('3')).toEqual(a)
    expect(await ci('4')).not.toEqual(a)
  })

  it('a worse candidate fails (exit 1): JUnit XML, Markdown appended to the job summary', async () => {
    const summary = path.join(dir, 'summary.md')
    writeFileSync(summary, '## earlier step\n')
    const r = await run(
      [
        'gate',
        '--evaluation',
        'weak.json',
        '--baseline',
        'good.json',
        '--junit',
        'junit.xml',
        '--markdown',
        'gate.md',
      ],
      { GITHUB_STEP_SUMMARY: summary },
    )
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toMatch(/^gate failed: \d+ of 11 rules — weak\.onnx vs good\.onnx\n/)
    expect(r.stdout).toMatch(/FAIL {2}roc_auc significance .* is below 0: significantly worse/)

    const markdown = readFileSync(path.join(dir, 'gate.md'), 'utf8')
    expect(markdown).toMatch(/^### ❌ gate failed/)
    expect(readFileSync(summary, 'utf8')).toBe(`## earlier step\n${markdown}\n`)

    const xml = readFileSync(path.join(dir, 'junit.xml'), 'utf8')
    const failures = Number(/<testsuites [^>]*failures="(\d+)"/.exec(xml)![1])
    expect(xml.match(/<testcase /g)).toHaveLength(11)
    expect(xml.match(/<failure /g)).toHaveLength(failures)
    expect(failures).toBeGreaterThanOrEqual(3)
    expect(xml).toContain(
      '<testcase name="roc_auc min_absolute_change" classname="sluice.gate.metrics" time="0">',
    )
  })

  it('as a pipeline stage writing --markdown, leaves the job summary to whoever publishes that file', async () => {
    const summary = path.join(dir, 'stage-summary.md')
    writeFileSync(summary, '')
    const args = ['gate', '--evaluation', 'good.json', '--baseline', 'weak.json', '--resamples', '50']
    const inStage = { GITHUB_STEP_SUMMARY: summary, SLUICE_STAGE: 'gate' }
    expect((await run([...args, '--markdown', 'stage-gate.md'], inStage)).code).toBe(0)
    expect(readFileSync(summary, 'utf8')).toBe('')
    expect(readFileSync(path.join(dir, 'stage-gate.md'), 'utf8')).toMatch(/^### /)
    // A stage that writes no Markdown file still appends its report.
    expect((await run(args, inStage)).code).toBe(0)
    expect(readFileSync(summary, 'utf8')).toBe(`${readFileSync(path.join(dir, 'stage-gate.md'), 'utf8')}\n`)
  })

  it('a rule on a metric the evaluation lacks fails, naming the metric', async () => {
    writeFileSync(
      path.join(dir, 'r2.yaml'),
      'gates:\n  metrics:\n    r2: {threshold: 0.5}\n    accuracy: {threshold: 0.5}\n',
    )
    const r = await gate('--evaluation', 'good.json', '--rules', 'r2.yaml', '--json')
    expect(r.code).toBe(1)
    const doc = json<GateResult>(r)
    expect(doc.rules[0]).toMatchObject({ metric: 'r2', passed: false })
    expect(doc.rules[0]!.reason).toMatch(/^the evaluation has no metric "r2"; it has accuracy, precision/)
    expect(doc.rules[1]!.passed).toBe(true)
  })

  it('exits 2 with a clear message on bad input', async () => {
    writeFileSync(path.join(dir, 'other.yaml'), 'home: .sluice\n')
    writeFileSync(path.join(dir, 'bad-rules.yaml'), 'gates:\n  metrics:\n    accuracy: {threshold: high}\n')
    writeFileSync(path.join(dir, 'not-eval.json'), '{"schema": "sluice.train/v1"}')
    writeFileSync(path.join(dir, 'thresholds.yaml'), 'gates:\n  metrics:\n    accuracy: {threshold: 0.5}\n')
    writeFileSync(path.join(dir, 'moved.csv'), readFileSync(path.join(dir, 'test.csv')))
    const weak = JSON.parse(readFileSync(path.join(dir, 'weak.json'), 'utf8'))
    weak.dataset = { ...weak.dataset, path: 'other.csv', fingerprint: `sha256:${'0'.repeat(64)}` }
    writeFileSync(path.join(dir, 'elsewhere.json'), JSON.stringify(weak))
    const moved = await run([
      'evaluate',
      'good.onnx',
      '--data',
      'moved.csv',
      '--target',
      'status',
      '--out',
      'moved.json',
    ])
    expect(moved.code, moved.stderr).toBe(0)
    appendFileSync(path.join(dir, 'moved.csv'), '9999,1,2,nice,late\n')
    const cases: [string[], RegExp][] = [
      [['--against', 'nope@champion'], /model "nope" not found/],
      [['--against', 'lateness@9'], /model "lateness" has no version 9/],
      [
        ['--against', 'lateness@1', '--baseline', 'weak.json'],
        /either --against NAME@REF or --baseline FILE, not both/,
      ],
      [[], /the rules for roc_auc, log_loss compare with a baseline; give --against NAME@REF/],
      [
        ['--config', 'other.yaml'],
        /no gate rules: add a "gates:" section to other\.yaml or pass --rules FILE/,
      ],
      [
        ['--rules', 'bad-rules.yaml'],
        /bad-rules\.yaml:3: gates\.metrics\.accuracy\.threshold: expected number, got "high"/,
      ],
      [['--rules', 'other.yaml'], /other\.yaml has no "gates:" section/],
      [['--resamples', '0', '--baseline', 'weak.json'], /--resamples must be a whole number of at least 1/],
    ]
    for (const [args, message] of cases) {
      const r = await gate('--evaluation', 'good.json', ...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(message)
    }
    const more: [string[], RegExp][] = [
      [
        ['--evaluation', 'not-eval.json', '--baseline', 'weak.json'],
        /not-eval\.json is not a sluice\.evaluation\/v1 document/,
      ],
      [
        ['--evaluation', 'moved.json', '--against', 'lateness@1', '--rules', 'thresholds.yaml'],
        /moved\.csv \(the data the candidate was evaluated on\) has changed since the evaluation/,
      ],
      [
        ['--evaluation', 'good.json', '--baseline', 'elsewhere.json'],
        /the candidate was evaluated with data test\.csv \(sha256:\w+\) but the baseline with data other\.csv \(sha256:0+\)/,
      ],
    ]
    for (const [args, message] of more) {
      const r = await gate(...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(message)
    }
    const asJson = await gate('--evaluation', 'good.json', '--against', 'nope@1', '--json')
    expect(json(asJson)).toMatchObject({ schema: 'sluice.error/v1', error: { code: 'NOT_FOUND' } })
  })
})
