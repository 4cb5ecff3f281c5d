import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, json, sluice, tempDir } from './support/cli.js'

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

interface RunDoc {
  id: string
  status: string
  started_at: string
  finished_at: string | null
  stages: { name: string; status: string; error?: string }[]
}

/** `sluice ARGS` started in the background, with what it printed so far and its exit. */
function start(dir: string, args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { cwd: dir })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {
    child,
    exit,
    out: () => stdout,
    err: () => stderr,
    /** Resolves with the first of `texts` that appears on stderr (or null once the process ended). */
    said: (...texts: string[]) =>
      new Promise<string | null>((resolve) => {
        const look = () => texts.find((t) => stderr.includes(t))
        const found = look()
        if (found) return resolve(found)
        child.stderr!.on('data', () => {
          const t = look()
          if (t) resolve(t)
        })
        void exit.then(() => resolve(look() ?? null))
      }),
  }
}

/** True while a process runs (a zombie has ended: an orphan's parent may never reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

describe('one run at a time per project', () => {
  it('a second run --force waits for the first (with --no-wait it exits 2 naming pid and start time), and no out interleaves two runs', async () => {
    const p = project(`stages:
  stamp:
    cmd: echo "$SLUICE_RUN_ID" > out.txt; echo started; while [ ! -f go ]; do sleep 0.05; done; echo "$SLUICE_RUN_ID" >> out.txt
    outs: [out.txt]
`)
    const first = start(p.dir, ['run', '--force', '--json'])
    expect(await first.said('stamp │ started')).toBe('stamp │ started')
    const second = start(p.dir, ['run', '--force', '--json'])
    expect(await second.said(`waiting for sluice run (pid ${first.child.pid}`, 'stamp │ started')).toBe(
      `waiting for sluice run (pid ${first.child.pid}`,
    )

    const refused = await p.run(['run', '--no-wait'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(
      new RegExp(
        `another pipeline run holds this project: sluice run \\(pid ${first.child.pid} on [^,]+, started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, run run_\\w+\\); wait for it`,
      ),
    )

    writeFileSync(path.join(p.dir, 'go'), '')
    expect(await first.exit).toBe(0)
    expect(await second.exit).toBe(0)
    const [a, b] = [JSON.parse(first.out()) as RunDoc, JSON.parse(second.out()) as RunDoc]
    expect([a.status, b.status]).toEqual(['succeeded', 'succeeded'])
    expect(Date.parse(b.started_at)).toBeGreaterThanOrEqual(Date.parse(a.finished_at!))
    // The out is one run's, whole, and so is what the cache restores.
    expect(p.read('out.txt')).toBe(`${b.id}\n${b.id}\n`)
    writeFileSync(path.join(p.dir, 'out.txt'), 'changed\n')
    const cached = json<RunDoc>(await p.run(['run', '--json']))
    expect(cached.stages[0]!.status).toBe('cached')
    expect(p.read('out.txt')).toBe(`${b.id}\n${b.id}\n`)
  })

  it('a run killed with SIGKILL is marked crashed by the next reader, and the next run takes over its lock and kills its stage', async () => {
    const p = project(`stages:
  slow:
    cmd: echo $$ > stage.pid; echo started; [ -f fast ] || sleep 60; echo done > out.txt
    outs: [out.txt]
`)
    const run = start(p.dir, ['run', '--json'])
    expect(await run.said('slow │ started')).toBe('slow │ started')
    run.child.kill('SIGKILL')
    await run.exit
    const stage = Number(p.read('stage.pid'))
    expect(alive(stage)).toBe(true) // the stage leads its own process group: it outlives its run

    const list = json<{ items: RunDoc[] }>(await p.run(['runs', 'list', '--json']))
    expect(list.items.map((r) => r.status)).toEqual(['crashed'])
    const shown = json<{ record: { error: string; stages: { status: string; error: string }[] } }>(
      await p.run(['runs', 'show', list.items[0]!.id, '--json']),
    )
    expect(shown.record.error).toMatch(
      new RegExp(
        `^the sluice process running it \\(pid ${run.child.pid} on .+\\) ended without finishing it`,
      ),
    )
    expect(shown.record.stages[0]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/crashed while this stage ran/),
    })

    // The dead run's lock is taken over at once, even with --no-wait, and its stage is stopped first.
    writeFileSync(path.join(p.dir, 'fast'), '')
    const next = await p.run(['run', '--no-wait', '--json'])
    expect(next.code).toBe(0)
    expect(next.stderr).toContain(`sluice run (pid ${run.child.pid}`)
    expect(next.stderr).toContain('died without finishing; its stages were stopped')
    expect(alive(stage)).toBe(false)
    expect(json<RunDoc>(next).status).toBe('succeeded')
    const after = json<{ items: RunDoc[] }>(await p.run(['runs', 'list', '--json']))
    expect(after.items.map((r) => r.status)).toEqual(['succeeded', 'crashed'])
  })

  it('a stage that runs its own pipeline fails at once instead of waiting for itself', async () => {
    const p = project(`stages:
  nested:
    cmd: ${JSON.stringify(`"${process.execPath}" "${BIN}" run`)}
`)
    const r = await p.run(['run', '--json'])
    expect(r.code).toBe(1)
    expect(json<RunDoc & { error: string }>(r).error).toMatch(
      /^stage "nested" failed: exited with code 2: sluice: error: this sluice run is a stage of run run_\w+, which holds the project until it ends: a stage cannot run or reproduce the pipeline it belongs to/,
    )
  })
})
