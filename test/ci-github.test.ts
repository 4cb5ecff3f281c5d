import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { DockerfileParser } from 'dockerfile-ast'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { BIN, json, sluice, tempDir } from './support/cli.js'

const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) c.kill('SIGTERM')
})

const PIPELINE = `stages:
  train:
    uses: sluice/train
    with: {algo: logistic, data: train.csv, target: delayed, features: [distance, origin], seed: 1, out: model.onnx}
  evaluate:
    uses: sluice/evaluate
    with: {model: model.onnx, data: train.csv, target: delayed, out: eval.json}
  gate:
    uses: sluice/gate
    with:
      evaluation: eval.json
      against: delay@champion
      junit: reports/gate-junit.xml
      markdown: reports/gate.md
      out: reports/gate.json
  register:
    uses: sluice/register
    with: {model: model.onnx, name: delay, gate: reports/gate.json, alias: champion}
gates:
  metrics:
    roc_auc: {threshold: 0.5}
`

/** A git repository holding a sluice project whose package.json depends on sluice. */
function project(packageJson: unknown = { name: 'delay', dependencies: { sluice: '^0.1.0' } }) {
  const dir = tempDir('sluice-ci-')
  mkdirSync(path.join(dir, '.git'))
  const rows = Array.from(
    { length: 300 },
    (_, i) => `${(i * 37) % 1000},${['SFO', 'ORD'][i % 2]},${(i * 37) % 1000 > 500 ? 1 : 0}`,
  )
  writeFileSync(path.join(dir, 'train.csv'), `distance,origin,delayed\n${rows.join('\n')}\n`)
  writeFileSync(path.join(dir, 'sluice.yaml'), PIPELINE)
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(packageJson))
  writeFileSync(path.join(dir, 'package-lock.json'), '{"lockfileVersion": 3}')
  // Never append to the summary of a CI run that runs these tests.
  return { dir, run: (...args: string[]) => sluice(args, { cwd: dir, env: { GITHUB_STEP_SUMMARY: '' } }) }
}

/** The command line and environment a container of the image starts with, from the Dockerfile. */
function imageStart(text: string) {
  const df = DockerfileParser.parse(text)
  const workdirs = df.getInstructions().filter((i) => i.getKeyword() === 'WORKDIR')
  return {
    cmd: df
      .getCMDs()[0]!
      .getJSONStrings()
      .map((s) => s.getJSONValue()),
    env: Object.fromEntries(
      df.getENVs().flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()!])),
    ),
    workdir: workdirs[workdirs.length - 1]!.getArgumentsContent()!,
    exposed: df
      .getInstructions()
      .find((i) => i.getKeyword() === 'EXPOSE')!
      .getArgumentsContent(),
  }
}

describe('sluice ci github', () => {
  it('writes an image command that serves the champion over the Open Inference Protocol, and no REST API', async () => {
    const p = project()
    const first = await p.run('run', '--json')
    expect(first.code, first.stderr).toBe(0)
    // A newer version that is not the champion: the image must not serve it.
    const trained = await p.run(
      ...['train', '--algo', 'logistic', '--data', 'train.csv', '--target', 'delayed'],
      ...['--features', 'distance,origin', '--seed', '2', '--param', 'C=0.01', '--out', 'm2.onnx'],
      ...['--register', 'delay'],
    )
    expect(trained.code, trained.stderr).toBe(0)
    const ci = await p.run('ci', 'github', '--json')
    expect(ci.code, ci.stderr).toBe(0)
    expect(json(ci)).toMatchObject({ model: 'delay@champion', deployment: 'delay', warnings: [] })

    // What the workflow runs: the pipeline once (its gate stage before register), nothing more.
    const wf = parse(readFileSync(path.join(p.dir, '.github/workflows/sluice.yml'), 'utf8'))
    const runs = wf.jobs['model-evaluation'].steps.map((s: { run?: string }) => s.run ?? '')
    expect(runs.filter((r: string) => r.includes('sluice'))).toEqual(['npx sluice run'])

    // The container's command, run natively: the image's folder is the project, with sluice
    // installed in node_modules as `npm ci` would. Like `docker run -e`, the test moves the port
    // and the interface (the image says 0.0.0.0:8321) to a free port on loopback.
    const image = imageStart(readFileSync(path.join(p.dir, 'Dockerfile'), 'utf8'))
    expect(image.env).toEqual({ SLUICE_HOST: '0.0.0.0', SLUICE_PORT: '8321' })
    expect(image.exposed).toBe('8321')
    expect(image.workdir).toBe('/app')
    expect(image.cmd[0]).toBe('/app/node_modules/.bin/sluice')
    mkdirSync(path.join(p.dir, 'node_modules/.bin'), { recursive: true })
    symlinkSync(BIN, path.join(p.dir, 'node_modules/.bin/sluice'))
    const inImage = (s: string) => s.replace(/^\/app(?=\/|$)/, p.dir)
    const child = spawn(inImage(image.cmd[0]!), image.cmd.slice(1), {
      cwd: inImage(image.workdir),
      env: {
        ...process.env,
        ...image.env,
        SLUICE_HOST: '127.0.0.1',
        SLUICE_PORT: '0',
        PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
      },
    })
    children.push(child)
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout!.on('data', (b: Buffer) => {
        out += b
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
        if (m) resolve(m[1]!)
      })
      let err = ''
      child.stderr!.on('data', (b: Buffer) => (err += b))
      child.on('exit', (code) => reject(new Error(`the image's command exited ${code}: ${err}`)))
    })

    const infer = await fetch(`${url}/v2/models/delay/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          { name: 'distance', shape: [1, 1], datatype: 'FP32', data: [800] },
          { name: 'origin', shape: [1, 1], datatype: 'BYTES', data: ['SFO'] },
        ],
      }),
    })
    expect(infer.status).toBe(200)
    const body = (await infer.json()) as {
      model_name: string
      model_version: string
      outputs: { name: string; data: number[] }[]
    }
    expect(body).toMatchObject({ model_name: 'delay', model_version: '1' })
    // The champion's own prediction for the row, which the newer version does not give.
    writeFileSync(path.join(p.dir, 'row.csv'), 'distance,origin\n800,SFO\n')
    const predicted = async (ref: string) => {
      const r = await p.run('predict', ref, '--data', 'row.csv', '--out', `${ref}.jsonl`)
      expect(r.code, r.stderr).toBe(0)
      return JSON.parse(readFileSync(path.join(p.dir, `${ref}.jsonl`), 'utf8')).probability_1 as number
    }
    const champion = await predicted('delay@1')
    const newer = await predicted('delay@2')
    expect(Math.abs(champion - newer)).toBeGreaterThan(0.01)
    const served = body.outputs.find((o) => o.name === 'probabilities')!.data[1]!
    expect(served).toBeCloseTo(champion, 5)

    // Inference routes only: the REST API is not served.
    expect((await fetch(`${url}/api/v1/models`)).status).toBe(404)
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200)
  })

  it('a CI run whose model did not change passes its gate against the champion it already is', async () => {
    // The champion must be beaten by 0.01: a re-run (a pull request that changes no pipeline input,
    // or a push of the Dockerfile) restores the same model from the stage cache.
    const p = project()
    writeFileSync(
      path.join(p.dir, 'sluice.yaml'),
      PIPELINE.replace('roc_auc: {threshold: 0.5}', 'roc_auc: {threshold: 0.5, min_absolute_change: 0.01}'),
    )
    expect((await p.run('run')).code).toBe(0)
    // The run step and the workflow's summary step, as GitHub runs them: the gate's report shows once.
    expect((await p.run('ci', 'github')).code).toBe(0)
    const steps = parse(readFileSync(path.join(p.dir, '.github/workflows/sluice.yml'), 'utf8')).jobs[
      'model-evaluation'
    ].steps as { run?: string }[]
    const summary = path.join(p.dir, 'summary.md')
    writeFileSync(summary, '')
    const env = { ...process.env, GITHUB_STEP_SUMMARY: summary }
    const again = await sluice(['run', '--json'], { cwd: p.dir, env: { GITHUB_STEP_SUMMARY: summary } })
    expect(again.code, again.stdout).toBe(0)
    // Nothing changed, and the champion is the candidate itself: every stage, the gate included,
    // comes from the cache, its earlier result standing (see docs/pipelines.md).
    expect(json<{ stages: { status: string }[] }>(again).stages.map((s) => s.status)).toEqual(
      Array(json<{ stages: unknown[] }>(again).stages.length).fill('cached'),
    )
    execFileSync('sh', ['-c', steps.find((s) => s.run?.includes('GITHUB_STEP_SUMMARY'))!.run!], {
      cwd: p.dir,
      env,
    })
    const published = readFileSync(summary, 'utf8')
    expect(published).toBe(readFileSync(path.join(p.dir, 'reports/gate.md'), 'utf8'))
    expect(readFileSync(path.join(p.dir, 'reports/gate.md'), 'utf8')).toContain(
      'model "delay" has no versions yet (its first), so there is nothing to compare with',
    )
    const versions = json<{ items: { version: number; aliases: string[] }[] }>(
      await p.run('models', 'list', '--name', 'delay', '--json'),
    )
    expect(versions.items.map((v) => [v.version, v.aliases])).toEqual([[1, ['champion']]])
  })

  it('refuses to write files that would fail in CI, saying what is missing', async () => {
    const p = project({ name: 'delay', devDependencies: { sluice: '^0.1.0' } })
    const r = await p.run('ci', 'github')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /sluice is only a devDependency in package\.json, and the image installs production dependencies \(npm ci --omit=dev\): move it with `npm install --save sluice@\^\d+\.\d+\.\d+`/,
    )
    const q = project()
    const wrote = await q.run('ci', 'github')
    expect(wrote.code, wrote.stderr).toBe(0)
    const again = await q.run('ci', 'github')
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(
      /\.github\/workflows\/sluice\.yml and Dockerfile already exist; pass --force/,
    )
    expect((await q.run('ci', 'github', '--force')).code).toBe(0)
  })
})
