import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, json, sluice, tempDir } from './support/cli.js'

interface RunDoc {
  schema: string
  id: string
  status: string
  error: string | null
  stages: { name: string; status: string; duration_s: number; error?: string }[]
}

/** A project folder with a sluice.yaml, params.yaml and extra files. */
function project(yaml: string, files: Record<string, string> = {}) {
  const dir = tempDir('sluice-pipeline-')
  writeFileSync(path.join(dir, 'sluice.yaml'), yaml)
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  const run = (...args: string[]) => sluice(args, { cwd: dir })
  const statuses = (doc: RunDoc) => Object.fromEntries(doc.stages.map((s) => [s.name, s.status]))
  return { dir, run, statuses, read: (f: string) => readFileSync(path.join(dir, f), 'utf8') }
}

const CHAIN = `stages:
  prepare:
    cmd: mkdir -p data && tr a-z A-Z < input.txt > data/clean.txt
    deps: [input.txt]
    outs: [data/clean.txt]
  count:
    cmd: 'n=$(wc -l < data/clean.txt); echo "{\\"lines\\": $n, \\"scale\\": $SCALE}" > metrics.json; echo counted $n'
    deps: [data/clean.txt]
    params: [count.scale]
    env: [SCALE]
    outs: []
    metrics: [metrics.json]
  other:
    cmd: echo other > other.txt
    outs: [other.txt]
`

describe('sluice run: caching by content hash', () => {
  it('says a stage whose inputs went back to earlier values is restored from the cache, not run', async () => {
    const p = project(
      `stages:
  a:
    cmd: echo $(cat params.yaml) > a.txt
    params: [p]
    outs: [a.txt]
  b:
    cmd: tr a-z A-Z < a.txt > b.txt
    deps: [a.txt]
    outs: [b.txt]
`,
      { 'params.yaml': 'p: one\n' },
    )
    expect(p.statuses(json<RunDoc>(await p.run('run', '--json')))).toEqual({ a: 'ran', b: 'ran' })
    writeFileSync(path.join(p.dir, 'params.yaml'), 'p: two\n')
    expect(p.statuses(json<RunDoc>(await p.run('run', '--json')))).toEqual({ a: 'ran', b: 'ran' })
    writeFileSync(path.join(p.dir, 'params.yaml'), 'p: one\n')
    const stages = json<{ stages: { name: string; state: string; reasons: string[] }[] }>(
      await p.run('status', '--json'),
    ).stages
    expect(stages.map((s) => [s.name, s.state])).toEqual([
      ['a', 'cached'],
      ['b', 'cached'],
    ])
    expect(stages[0]!.reasons).toEqual([
      'param p changed ("two" → "one")',
      'a cached result matches its current inputs: the next run restores it',
    ])
    expect(p.statuses(json<RunDoc>(await p.run('run', '--json')))).toEqual({ a: 'cached', b: 'cached' })
    expect(p.read('b.txt')).toBe('P: ONE\n')
  })

  it('runs, then skips unchanged stages, restores deleted outs, and re-runs what a change affects', async () => {
    const p = project(CHAIN, { 'input.txt': 'a\nb\n', 'params.yaml': 'count:\n  scale: 2\n' })
    const env = { SCALE: '1' }
    const run = (...a: string[]) => sluice(a, { cwd: p.dir, env })

    const first = json<RunDoc>(await run('run', '--json'))
    expect(first.schema).toBe('sluice.run/v1')
    expect(first.status).toBe('succeeded')
    expect(p.statuses(first)).toEqual({ prepare: 'ran', count: 'ran', other: 'ran' })
    expect(JSON.parse(p.read('metrics.json'))).toEqual({ lines: 2, scale: 1 })

    const second = json<RunDoc>(await run('run', '--json'))
    expect(p.statuses(second)).toEqual({ prepare: 'cached', count: 'cached', other: 'cached' })

    // Deleted outs come back from the artifact store without running the stage.
    rmSync(path.join(p.dir, 'data'), { recursive: true })
    rmSync(path.join(p.dir, 'metrics.json'))
    const third = json<RunDoc>(await run('run', '--json'))
    expect(p.statuses(third)).toEqual({ prepare: 'cached', count: 'cached', other: 'cached' })
    expect(p.read('data/clean.txt')).toBe('A\nB\n')
    expect(JSON.parse(p.read('metrics.json'))).toEqual({ lines: 2, scale: 1 })

    // A param change: status names it with both values, and only that stage re-runs.
    writeFileSync(path.join(p.dir, 'params.yaml'), 'count:\n  scale: 3\n')
    const status = await run('status', '--json')
    const stages = json<{ stages: { name: string; state: string; reasons: string[] }[] }>(status).stages
    expect(stages.find((s) => s.name === 'count')).toMatchObject({
      state: 'stale',
      reasons: ['param count.scale changed (2 → 3)'],
    })
    expect(stages.find((s) => s.name === 'prepare')!.state).toBe('up-to-date')
    expect(p.statuses(json<RunDoc>(await run('run', '--json')))).toEqual({
      prepare: 'cached',
      count: 'ran',
      other: 'cached',
    })

    // A dep change re-runs the stage and, through its out, the stage downstream.
    writeFileSync(path.join(p.dir, 'input.txt'), 'a\nb\nc\n')
    const human = await run('status')
    expect(human.stdout).toMatch(/prepare\s+stale\s+dep input.txt changed/)
    expect(human.stdout).toMatch(/count\s+stale\s+upstream stage "prepare" will run/)
    const after = json<RunDoc>(await run('run', '--json'))
    expect(p.statuses(after)).toEqual({ prepare: 'ran', count: 'ran', other: 'cached' })
    expect(JSON.parse(p.read('metrics.json')).lines).toBe(3)

    // A declared environment variable is part of the key; --force runs everything.
    const withEnv = json<RunDoc>(
      await sluice(['run', '--json', 'count'], { cwd: p.dir, env: { SCALE: '5' } }),
    )
    expect(p.statuses(withEnv)).toEqual({ prepare: 'cached', count: 'ran' })
    const forced = json<RunDoc>(await run('run', '--json', '--force'))
    expect(p.statuses(forced)).toEqual({ prepare: 'ran', count: 'ran', other: 'ran' })

    // Every run is recorded.
    const list = json<{ items: RunDoc[] }>(await run('runs', 'list', '--json'))
    expect(list.items.map((r) => r.id)).toEqual(
      [forced, withEnv, after].map((r) => r.id).concat(list.items.slice(3).map((r) => r.id)),
    )
    const shown = json<{ record: { stages: { name: string; deps: object; log: string }[] } }>(
      await run('runs', 'show', after.id, '--json'),
    )
    expect(Object.keys(shown.record.stages.find((s) => s.name === 'count')!.deps)).toEqual(['data/clean.txt'])
    const log = await run('runs', 'show', after.id, '--log', 'count')
    expect(log.stdout).toBe('counted 3\n')
  })

  it('after --force, the cache holds what the forced run wrote', async () => {
    const p = project(
      'stages:\n  stamp:\n    cmd: node -e "console.log(process.hrtime.bigint())" > stamp.txt\n    outs: [stamp.txt]\n',
    )
    await p.run('run')
    const first = p.read('stamp.txt')
    await p.run('run', '--force')
    const forced = p.read('stamp.txt')
    expect(forced).not.toBe(first)
    rmSync(path.join(p.dir, 'stamp.txt'))
    expect(p.statuses(json<RunDoc>(await p.run('run', '--json')))).toEqual({ stamp: 'cached' })
    expect(p.read('stamp.txt')).toBe(forced)
  })

  it('runs independent stages side by side with --jobs', async () => {
    const stamp = (name: string) =>
      `  ${name}:\n    cmd: node -e "const t=Date.now();setTimeout(()=>require('fs').writeFileSync('${name}.json',JSON.stringify([t,Date.now()])),700)"\n    metrics: [${name}.json]\n`
    const p = project(`stages:\n${stamp('a')}${stamp('b')}`)
    const doc = json<RunDoc>(await p.run('run', '--jobs', '2', '--json'))
    expect(doc.status).toBe('succeeded')
    const [a0, a1] = JSON.parse(p.read('a.json')) as number[]
    const [b0, b1] = JSON.parse(p.read('b.json')) as number[]
    // The two intervals overlap: one started before the other finished.
    expect(Math.max(a0!, b0!)).toBeLessThan(Math.min(a1!, b1!))
  })
})

describe('sluice run: failures', () => {
  it('refuses a dep that is a symbolic link, naming what it points to', async () => {
    const p = project(
      'stages:\n  a:\n    cmd: cat in.txt > out.txt\n    deps: [in.txt]\n    outs: [out.txt]\n',
      {
        'real.txt': 'hi\n',
      },
    )
    symlinkSync('real.txt', path.join(p.dir, 'in.txt'))
    const r = await p.run('run')
    expect(r.code).toBe(1)
    expect(r.stderr + r.stdout).toMatch(/in\.txt is a symbolic link to real\.txt; .*name the target instead/)
  })

  it('stops the dependants of a failing stage, says which stage failed and why, and exits 1', async () => {
    const p = project(`stages:
  bad:
    cmd: 'echo "reading input"; echo "no such column: price" >&2; exit 3'
    outs: [out.txt]
  after:
    cmd: cp out.txt copy.txt
    deps: [out.txt]
    outs: [copy.txt]
  independent:
    cmd: echo ok > ok.txt
    outs: [ok.txt]
`)
    const r = await p.run('run', '--json')
    expect(r.code).toBe(1)
    const doc = json<RunDoc>(r)
    expect(doc.status).toBe('failed')
    expect(p.statuses(doc)).toEqual({ bad: 'failed', after: 'skipped', independent: 'ran' })
    expect(doc.error).toBe('stage "bad" failed: exited with code 3: no such column: price')
    expect(doc.stages.find((s) => s.name === 'after')!.error).toBe('upstream stage "bad" failed')
    const human = await p.run('run')
    expect(human.code).toBe(1)
    expect(human.stdout).toContain('stage "bad" failed: exited with code 3')
  })

  it('fails a stage that does not write a declared out, or writes metrics that are not JSON or nest too deep, and caches none', async () => {
    const p = project(`stages:
  lazy:
    cmd: echo nothing
    outs: [model.onnx]
  metrics:
    cmd: echo "accuracy = 0.9" > scores.json
    metrics: [scores.json]
  deep:
    cmd: node -e "require('fs').writeFileSync('deep.json', '['.repeat(100000) + ']'.repeat(100000))"
    metrics: [deep.json]
`)
    const doc = json<RunDoc>(await p.run('run', '--json'))
    expect(p.statuses(doc)).toEqual({ lazy: 'failed', metrics: 'failed', deep: 'failed' })
    expect(doc.stages[0]!.error).toBe('finished but did not write its declared out model.onnx')
    expect(doc.stages[1]!.error).toMatch(/^metrics file scores.json is not valid JSON/)
    expect(doc.stages[2]!.error).toMatch(
      /^metrics file deep.json: lists or objects nested more than 64 levels/,
    )
    expect(p.statuses(json<RunDoc>(await p.run('run', '--json')))).toEqual({
      lazy: 'failed',
      metrics: 'failed',
      deep: 'failed',
    })
  })

  it.each([
    [
      'an unknown key',
      'stages:\n  a:\n    cmd: echo\n    depz: [x]\n',
      /sluice.yaml:4: unknown key "stages.a.depz"; expected one of: cmd, uses, with, deps/,
    ],
    [
      'a wrong type',
      'stages:\n  a:\n    cmd: echo\n    outs: out.txt\n',
      /sluice.yaml:4: stages.a.outs: expected array, got "out.txt"/,
    ],
    ['neither cmd nor uses', 'stages:\n  a:\n    outs: [x]\n', /give exactly one of "cmd"/],
    [
      'an unknown built-in',
      'stages:\n  a:\n    uses: sluice/deploy\n',
      /stages.a.uses: expected one of "sluice\/validate", "sluice\/train"/,
    ],
    [
      'a built-in input it does not know',
      'stages:\n  t:\n    uses: sluice/train\n    with:\n      algo: gbdt\n      data: d.csv\n      target: y\n      features: [a]\n      out: m.onnx\n      epochs: 3\n',
      /sluice.yaml:10: unknown key "stages.t.with.epochs"; expected one of: algo, data, target, features/,
    ],
    [
      'a cycle',
      'stages:\n  a:\n    cmd: cp b.txt a.txt\n    deps: [b.txt]\n    outs: [a.txt]\n  b:\n    cmd: cp a.txt b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n',
      /the stages form a cycle: a → b → a/,
    ],
    [
      'two stages writing one out',
      'stages:\n  a:\n    cmd: echo > x.txt\n    outs: [x.txt]\n  b:\n    cmd: echo > x.txt\n    outs: [x.txt]\n',
      /stages "a" and "b" both write "x.txt"/,
    ],
    [
      'a missing dep file',
      'stages:\n  a:\n    cmd: cat raw.csv\n    deps: [raw.csv]\n',
      /stage "a": dep "raw.csv" does not exist and no stage writes it/,
    ],
    [
      'a param missing from params.yaml',
      'stages:\n  a:\n    cmd: echo\n    params: [train.lr]\n',
      /depends on param "train.lr", which is not in params.yaml/,
    ],
    [
      'an out outside the project',
      'stages:\n  a:\n    cmd: echo\n    outs: [../x]\n',
      /expected a path inside the project/,
    ],
    [
      'the project folder as an out',
      'stages:\n  a:\n    cmd: echo\n    outs: [./]\n',
      /not the project folder itself/,
    ],
  ])('refuses %s with exit 2 and a message naming it', async (_what, yaml, message) => {
    const p = project(yaml)
    const r = await p.run('run')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it('records a run interrupted with Ctrl-C as interrupted and caches nothing of the stage it stopped', async () => {
    const p = project(`stages:
  slow:
    cmd: echo started; sleep 30; echo done > slow.txt
    outs: [slow.txt]
`)
    const child = spawn(process.execPath, [BIN, 'run', '--json'], {
      cwd: p.dir,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    const started = new Promise<void>((resolve) =>
      child.stderr.on('data', (d) => {
        stderr += d
        if (stderr.includes('slow │ started')) resolve()
      }),
    )
    await started
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code).toBe(130)
    const doc = JSON.parse(stdout) as RunDoc
    expect(doc.status).toBe('interrupted')
    expect(doc.stages[0]).toMatchObject({ name: 'slow', status: 'failed' })
    expect(existsSync(path.join(p.dir, 'slow.txt'))).toBe(false)
    const list = json<{ items: RunDoc[] }>(await p.run('runs', 'list', '--json'))
    expect(list.items[0]!.status).toBe('interrupted')
    const status = json<{ stages: { state: string }[] }>(await p.run('status', '--json'))
    expect(status.stages[0]!.state).toBe('stale')
  })
  it('kills a stage that ignores SIGTERM at the second interrupt (the first may be SIGHUP), and still records the run', async () => {
    const p = project(`stages:
  stubborn:
    cmd: trap '' TERM; echo started; sleep 30; echo done > out.txt
    outs: [out.txt]
`)
    const child = spawn(process.execPath, [BIN, 'run', '--json'], {
      cwd: p.dir,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (d) => {
        stderr += d
        if (stderr.includes('stubborn │ started')) resolve()
      }),
    )
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve))
    child.kill('SIGHUP')
    // The stage ignores SIGTERM: the run goes on through the grace period…
    const early = await Promise.race([closed, new Promise((r) => setTimeout(() => r('running'), 400))])
    expect(early).toBe('running')
    expect(stderr).toContain('interrupting')
    // …until the second interrupt kills it.
    const t0 = Date.now()
    child.kill('SIGINT')
    expect(await closed).toBe(130)
    // Well before the grace period (3 s from the first) would have ended it.
    expect(Date.now() - t0).toBeLessThan(1500)
    expect((JSON.parse(stdout) as RunDoc).status).toBe('interrupted')
    const list = json<{ items: RunDoc[] }>(await p.run('runs', 'list', '--json'))
    expect(list.items[0]!.status).toBe('interrupted')
  })
})

/** `n` rows of a small classification problem (id, a, city → y), deterministic. */
const cities = ['paris', 'lyon', 'nice', 'brest']
const rows = (n: number, offset: number) =>
  Array.from({ length: n }, (_, k) => {
    const i = k + offset
    const a = ((i * 7919) % 1000) / 100 - 5
    const c = cities[(i * 13) % 4]!
    const y = 0.9 * a + (c === 'nice' ? 1.5 : 0) + (((i * 104729) % 100) / 100 - 0.5) * 3 > 0 ? 1 : 0
    return `${i},${a},${c},${y}`
  })

describe('a pipeline of built-in stages', () => {
  it('trains, evaluates, gates and registers with lineage; reproduces the model; blocks a model that fails its gates', async () => {
    // A folder outside the project that training reads in place (reproduce checks it is unchanged).
    const ext = tempDir('sluice-ext-')
    writeFileSync(path.join(ext, 'notes.txt'), 'v1\n')
    const spec = (floor: number) => `stages:
  train:
    uses: sluice/train
    with: {algo: gbdt, data: train.csv, target: y, features: [a, city], seed: 3, out: model.onnx}
    params: [train]
    deps: [../${path.basename(ext)}]
  evaluate:
    uses: sluice/evaluate
    with: {model: model.onnx, data: test.csv, target: y, slice_by: city, id: id, out: eval.json, predictions_out: preds.csv}
  gate:
    uses: sluice/gate
    with: {evaluation: eval.json, against: demo@champion, junit: gate.xml, out: gate.json}
  register:
    uses: sluice/register
    with: {model: model.onnx, name: demo, gate: gate.json, evaluation: eval.json, data: train.csv, alias: champion}
gates:
  metrics:
    roc_auc: {threshold: ${floor}, min_absolute_change: 0, greater_is_better: true}
  budgets: {model_size_mb: 5}
`
    const p = project(spec(0.6), {
      'train.csv': `id,a,city,y\n${rows(2000, 0).join('\n')}\n`,
      'test.csv': `id,a,city,y\n${rows(600, 5000).join('\n')}\n`,
      'params.yaml': 'train:\n  max_iter: 30\n  learning_rate: 0.2\n',
    })
    const first = json<RunDoc>(await p.run('run', '--json'))
    expect(first.status).toBe('succeeded')
    expect(p.statuses(first)).toEqual({ train: 'ran', evaluate: 'ran', gate: 'ran', register: 'ran' })
    const gate = JSON.parse(p.read('gate.json'))
    expect(gate.passed).toBe(true)
    expect(gate.note).toMatch(/model "demo" has no versions yet/)
    expect(p.read('gate.xml')).toContain('<testsuite')

    const v = json<{
      version: number
      aliases: string[]
      params: Record<string, unknown>
      metrics: Record<string, number>
      tags: Record<string, string>
      lineage: { run_id: string; datasets: { name: string; role: string }[]; environment: { node: string } }
    }>(await p.run('models', 'show', 'demo@champion', '--json'))
    expect(v.version).toBe(1)
    expect(v.lineage.run_id).toBe(first.id)
    expect(v.lineage.datasets.map((d) => `${d.name}:${d.role}`).sort()).toEqual(['test:eval', 'train:train'])
    expect(v.params).toMatchObject({ 'train.max_iter': 30, 'train.learning_rate': 0.2 })
    expect(v.metrics.roc_auc).toBeCloseTo(JSON.parse(p.read('eval.json')).metrics.roc_auc, 12)
    expect(v.tags).toMatchObject({
      'gate.passed': 'true',
      'sluice.model_path': 'model.onnx',
      'sluice.stage': 'register',
    })
    expect(v.lineage.environment.node).toBe(process.version)

    // Nothing changed: every stage comes from the cache. The champion is now the candidate itself,
    // so the gate's earlier result stands, and the same model is not registered twice.
    const second = json<RunDoc>(await p.run('run', '--json'))
    expect(p.statuses(second)).toEqual({
      train: 'cached',
      evaluate: 'cached',
      gate: 'cached',
      register: 'cached',
    })
    expect(
      json<{ items: unknown[] }>(await p.run('models', 'list', '--name', 'demo', '--json')).items,
    ).toHaveLength(1)

    const rep = await p.run('reproduce', 'demo@1', '--json')
    expect(rep.code).toBe(0)
    const doc = json<{ matches: boolean; outs: { path: string; matches: boolean }[] }>(rep)
    expect(doc.matches).toBe(true)
    expect(doc.outs.map((o) => o.path)).toEqual(['model.onnx'])
    // The folder outside the project changed since the run: reproducing from it is refused.
    writeFileSync(path.join(ext, 'notes.txt'), 'v2\n')
    const changed = await p.run('reproduce', 'demo@1')
    expect(changed.code).toBe(2)
    expect(changed.stderr).toMatch(/\.\.\/sluice-ext-\w+ \(outside the project\) changed since run/)
    writeFileSync(path.join(ext, 'notes.txt'), 'v1\n')

    // A stricter gate fails: the run exits 1 and nothing is registered.
    writeFileSync(path.join(p.dir, 'sluice.yaml'), spec(0.999))
    const blocked = await p.run('run', '--json')
    expect(blocked.code).toBe(1)
    expect(p.statuses(json<RunDoc>(blocked))).toEqual({
      train: 'cached',
      evaluate: 'cached',
      gate: 'failed',
      register: 'skipped',
    })
    expect(json<RunDoc>(blocked).error).toBe(
      'stage "gate" failed: exited with code 1: sluice: gate failed: roc_auc threshold (0.9% is below the threshold 0.999)'.replace(
        '0.9%',
        String(Number(JSON.parse(p.read('eval.json')).metrics.roc_auc.toPrecision(4))),
      ),
    )
    const refused = await p.run('register', 'model.onnx', '--name', 'demo', '--gate', 'gate.json')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('not registering model.onnx: the gates failed (roc_auc threshold)')
  })

  it('keys a gate on the baseline it is compared with: cached while the champion is the candidate, run again when the champion moves; the register stage never records a model twice', async () => {
    const p = project(
      `stages:
  train:
    uses: sluice/train
    with: {algo: gbdt, data: train.csv, target: y, features: [a, city], seed: 3, out: model.onnx, params: {max_iter: 20}}
  evaluate:
    uses: sluice/evaluate
    with: {model: model.onnx, data: test.csv, target: y, out: eval.json}
  gate:
    uses: sluice/gate
    with: {evaluation: eval.json, against: demo@champion, out: gate.json}
  register:
    uses: sluice/register
    with: {model: model.onnx, name: demo, gate: gate.json, evaluation: eval.json, alias: champion}
gates:
  metrics:
    roc_auc: {threshold: 0.5, greater_is_better: true}
`,
      {
        'train.csv': `id,a,city,y\n${rows(1500, 0).join('\n')}\n`,
        'test.csv': `id,a,city,y\n${rows(400, 5000).join('\n')}\n`,
      },
    )
    const versions = async () =>
      json<{ items: { version: number; aliases: string[] }[] }>(
        await p.run('models', 'list', '--name', 'demo', '--json'),
      ).items.map((v) => `${v.version}${v.aliases.length ? `:${v.aliases.join(',')}` : ''}`)
    const states = async () =>
      Object.fromEntries(
        json<{ stages: { name: string; state: string; reasons: string[] }[] }>(
          await p.run('status', '--json'),
        ).stages.map((s) => [s.name, [s.state, ...s.reasons].join('; ')]),
      )

    expect(p.statuses(json<RunDoc>(await p.run('run', '--json')))).toEqual({
      train: 'ran',
      evaluate: 'ran',
      gate: 'ran',
      register: 'ran',
    })
    expect(await versions()).toEqual(['1:champion'])
    // The register stage moved the champion to the candidate: the gate's result stands.
    expect((await states()).gate).toBe(
      'cached; demo@champion is now the candidate model itself; a cached result matches its current inputs: the next run restores it',
    )
    const all = { train: 'cached', evaluate: 'cached', gate: 'cached', register: 'cached' }
    expect(p.statuses(json<RunDoc>(await p.run('run', '--json')))).toEqual(all)
    expect(Object.values(await states()).every((s) => s === 'up-to-date')).toBe(true)

    // Someone points the champion at another model: the gate compares with it, and the pipeline
    // puts its own model back as champion without registering it again.
    const other = await p.run(
      ...['train', '--algo', 'gbdt', '--data', 'train.csv', '--target', 'y', '--features', 'a,city'],
      ...['--param', 'max_iter=3', '--out', 'other.onnx', '--register', 'demo'],
    )
    expect(other.code).toBe(0)
    expect((await p.run('models', 'alias', 'demo', 'champion', '2')).code).toBe(0)
    expect((await states()).gate).toMatch(
      /^stale; demo@champion changed \(the candidate → sha256:[0-9a-f]{12}\)$/,
    )
    const moved = await p.run('run')
    expect(moved.code).toBe(0)
    expect(moved.stderr).toMatch(/= evaluate cached\n(.*\n)*✓ gate ran/)
    expect(moved.stderr).toContain('register │ demo@1 already holds this model (sha256:')
    expect(moved.stderr).toMatch(/nothing registered; champion moved to demo@1\n/)
    expect(await versions()).toEqual(['2', '1:champion'])
    expect(p.statuses(json<RunDoc>(await p.run('run', '--json')))).toEqual(all)

    // Registering by hand still always records a version, identical bytes or not.
    const byHand = await p.run(
      'models',
      'register',
      'demo',
      '--artifact',
      'model.onnx',
      '--flavor',
      'onnx',
      '--json',
    )
    expect(json<{ version: number }>(byHand).version).toBe(3)
  })
})
