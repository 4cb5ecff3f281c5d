import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { json, sluice, tempDir } from './support/cli.js'

/** A project folder with a sluice.yaml and extra files. */
function project(yaml: string, files: Record<string, string> = {}) {
  const dir = tempDir('sluice-safety-')
  writeFileSync(path.join(dir, 'sluice.yaml'), yaml)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), text)
  }
  const run = (args: string[], env: Record<string, string> = {}) => sluice(args, { cwd: dir, env })
  return { dir, run, read: (f: string) => readFileSync(path.join(dir, f), 'utf8') }
}

describe('a pipeline never destroys sluice state or its own configuration', () => {
  it('refuses an out holding the home (home: state/.sluice, outs: [state]) with exit 2, and the registry survives', async () => {
    const p = project(
      'home: state/.sluice\nstages:\n  wipe:\n    cmd: mkdir -p state && echo x > state/x\n    outs: [state]\n',
      { 'flights.csv': 'delay,distance\n3,100\n' },
    )
    expect((await p.run(['data', 'add', 'flights.csv', '--name', 'flights'])).code).toBe(0)
    const r = await p.run(['run'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      `stage "wipe": out "state" holds the sluice home ${path.join(p.dir, 'state', '.sluice')}; running the stage would delete it`,
    )
    const datasets = json<{ items: { name: string }[] }>(await p.run(['data', 'list', '--json']))
    expect(datasets.items.map((d) => d.name)).toEqual(['flights'])
  })

  it('refuses a stage that would delete sluice.yaml or params.yaml, or write into a home given by --home or SLUICE_HOME', async () => {
    const p = project('stages:\n  w:\n    cmd: echo > sluice.yaml\n    outs: [sluice.yaml]\n', {
      'params.yaml': 'a: 1\n',
    })
    const r = await p.run(['run'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`out "sluice.yaml" is the config file ${path.join(p.dir, 'sluice.yaml')}`)
    expect(p.read('sluice.yaml')).toContain('outs: [sluice.yaml]')

    const q = project('stages:\n  w:\n    cmd: echo\n    outs: [state, params.yaml]\n', {
      'params.yaml': 'a: 1\n',
    })
    for (const [args, env] of [
      [['--home', 'state/h', 'run'], {}],
      [['run'], { SLUICE_HOME: 'state' }],
    ] as const) {
      const refused = await q.run([...args], env)
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(/out "state" (holds|is) the sluice home/)
      expect(refused.stderr).toContain(
        `out "params.yaml" is the params file ${path.join(q.dir, 'params.yaml')}`,
      )
    }
    expect(existsSync(path.join(q.dir, 'params.yaml'))).toBe(true)
  })

  it('refuses to empty an out folder holding a file another stage reads that its stage never wrote, and allows it once the stage wrote it', async () => {
    const spec = (writesRaw: boolean) => `stages:
  prepare:
    cmd: mkdir -p data && ${writesRaw ? 'echo made > data/raw.csv && ' : ''}echo clean > data/clean.csv
    outs: [data]
  train:
    cmd: cat data/raw.csv data/clean.csv > model.txt
    deps: [data/raw.csv, data/clean.csv]
    outs: [model.txt]
`
    const p = project(spec(false), { 'data/raw.csv': 'hand-made\n' })
    const r = await p.run(['run'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      'stage "prepare" would delete data/raw.csv, which stage "train" reads: it lies inside "data", an out of "prepare" that has never held it',
    )
    expect(p.read('data/raw.csv')).toBe('hand-made\n')

    // A stage that writes the file itself: the same layout is an ordinary edge of the DAG.
    const q = project(spec(true))
    const statuses = async () =>
      json<{ stages: { name: string; status: string }[] }>(await q.run(['run', '--json'])).stages.map(
        (s) => s.status,
      )
    expect(await statuses()).toEqual(['ran', 'ran'])
    expect(await statuses()).toEqual(['cached', 'cached'])
    expect(q.read('model.txt')).toBe('made\nclean\n')
  })
})

describe('an invalid pipeline', () => {
  it('stops only the commands that run or inspect it (exit 2); every other command works in its folder', async () => {
    const p = project('stages:\n  a:\n    cmd: echo\n    depz: [x]\n  b: 3\n', { 'd.csv': 'x,y\n1,2\n' })
    for (const args of [['run'], ['status'], ['ci', 'github']]) {
      const r = await p.run(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toContain('sluice.yaml:4: unknown key "stages.a.depz"')
      expect(r.stderr).toContain('sluice.yaml:5: stages.b: expected object, got 3')
    }
    for (const args of [
      ['init'],
      ['data', 'add', 'd.csv', '--name', 'd'],
      ['models', 'list'],
      ['runs', 'list'],
    ]) {
      const r = await p.run(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }
    expect(json<{ items: { name: string }[] }>(await p.run(['data', 'list', '--json'])).items).toHaveLength(1)
  })
})
