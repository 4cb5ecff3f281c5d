import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { BIN, json, sluice, tempDir } from './support/cli.js'

const dir = tempDir('sluice-rollout-')
const run = (...args: string[]) => sluice(args, { cwd: dir })
let server: ChildProcess
let url: string

/** Starts `sluice serve|server` on a free port and resolves with the process and its URL. */
async function spawnServer(
  command: 'serve' | 'server',
  cwd = dir,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, command, '--port', '0', '--json'], {
    cwd,
    env: { ...process.env, ...env },
  })
  child.stderr!.resume()
  const url = await new Promise<string>((resolve, reject) => {
    // Keep reading the request log: a full pipe would block the server's writes.
    let first = true
    child.stdout!.on('data', (b: Buffer) => {
      if (first) resolve(JSON.parse(b.toString().split('\n')[0]!).url)
      first = false
    })
    child.once('exit', (code) => reject(new Error(`${command} exited ${code}`)))
  })
  return { child, url }
}

/** Starts the `sluice serve` the tests share. */
async function startServer(): Promise<void> {
  ;({ child: server, url } = await spawnServer('serve'))
}

async function stopServer(): Promise<void> {
  const exited = new Promise((r) => server.once('exit', r))
  server.kill('SIGTERM')
  await exited
}

/** Sends requests from 8 loops until stopped; records each answer's status and version. */
function traffic(headers: (i: number) => Record<string, string> = () => ({})) {
  const answers: { sent: number; at: number; status: number; version: string | null; user?: string }[] = []
  let stop = false
  const loops = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      const distance = Math.random() * 1000 // iid, so no subset of requests differs by construction
      const sent = Date.now()
      try {
        const h = headers(i * 8 + w)
        const r = await fetch(`${url}/v1/deployments/flights/predict`, {
          method: 'POST',
          headers: h,
          body: JSON.stringify({ instances: [{ distance, origin: i % 2 ? 'SFO' : 'ORD' }] }),
        })
        await r.arrayBuffer()
        answers.push({
          sent,
          at: Date.now(),
          status: r.status,
          version: r.headers.get('x-model-version'),
          user: h['x-user'],
        })
      } catch {
        answers.push({ sent, at: Date.now(), status: 0, version: null }) // connection refused or reset
      }
      await new Promise((res) => setTimeout(res, 5))
    }
  })
  return {
    answers,
    stop: async () => {
      stop = true
      await Promise.all(loops)
    },
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const t0 = Date.now()
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

interface RolloutDoc {
  state: string
  stable: { version: number }
  arms: { version: number; weight: number; role: string }[]
  decisions: { at: string; kind: string; message: string; detail: Record<string, unknown> }[]
}
const status = async () => json<RolloutDoc>(await run('rollout', 'status', 'flights', '--json'))
/** The rollout once it is in one of `states`. */
const untilState = (what: string, states: string[], ms?: number) =>
  until(
    what,
    async () => {
      const s = await status()
      return states.includes(s.state) ? s : undefined
    },
    ms,
  )
const fastAnalysis = path.join(dir, 'analysis.yaml')

beforeAll(async () => {
  const rows = (invert: boolean) =>
    Array.from({ length: 400 }, (_, i) => {
      const distance = (i * 37) % 1000
      // One flight in five is late, so the two models' scores differ in distribution, not only per row.
      const late = distance > 800 !== invert ? 1 : 0
      return `${distance},${['SFO', 'ORD'][i % 2]},${late}`
    })
  writeFileSync(path.join(dir, 'good.csv'), `distance,origin,delayed\n${rows(false).join('\n')}\n`)
  writeFileSync(path.join(dir, 'inverted.csv'), `distance,origin,delayed\n${rows(true).join('\n')}\n`)
  // Versions 1, 2, 4 and 6 learn the same thing; 3 and 5 learn the opposite.
  for (const [data, seed] of [
    ['good', '1'],
    ['good', '2'],
    ['inverted', '3'],
    ['good', '4'],
    ['inverted', '5'],
    ['good', '6'],
  ]) {
    const r = await run(
      'train',
      '--algo',
      'logistic',
      '--data',
      `${data}.csv`,
      '--target',
      'delayed',
      '--features',
      'distance,origin',
      '--seed',
      seed!,
      '--out',
      `m${seed}.onnx`,
      '--register',
      'delay',
    )
    expect(r.code, r.stderr).toBe(0)
  }
  expect((await run('deploy', 'delay@1', '--deployment', 'flights')).code).toBe(0)
  // Faster than the defaults, and lenient where a loaded CI machine could fail a healthy canary by
  // chance (a cold model's first slow calls; a drift test looked at every half second).
  writeFileSync(
    fastAnalysis,
    [
      'analysis:',
      '  interval: 500ms',
      '  window: 10s',
      '  min_samples: 15',
      '  rules:',
      '    - {metric: error_rate, vs_stable: {max_increase: 0.05}}',
      '    - {metric: latency_p99, vs_stable: {max_ratio: 3, max_increase: 250}}',
      '    - {metric: prediction_drift, stattest: ks, threshold: 0.000001}',
    ].join('\n'),
  )
  await startServer()
}, 120_000)

afterAll(() => server?.kill('SIGTERM'))

describe('sluice rollouts against a running server', () => {
  it('refuses promote and abort with no rollout running', async () => {
    for (const verb of ['promote', 'abort']) {
      const r = await run('rollout', verb, 'flights')
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('no rollout is running on deployment "flights"')
    }
    expect((await status()).state).toBe('idle')
  })

  it('refuses bad plans with the reason: weights, order, strategy, unknown metrics', async () => {
    const bad = async (args: string[], message: RegExp) => {
      const r = await run('deploy', 'delay@2', '--deployment', 'flights', ...args)
      expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(message)])
    }
    await bad(['--strategy', 'canary', '--steps', '10,150'], /"150" is not a weight from 0 to 100/)
    await bad(['--strategy', 'canary', '--steps', '50,20'], /must increase/)
    await bad(['--strategy', 'blue-green'], /--strategy must be canary, shadow or ab/)
    const analysis = path.join(dir, 'unknown-metric.yaml')
    writeFileSync(analysis, 'analysis:\n  rules:\n    - metric: accuracy\n      min: 0.9\n')
    await bad(
      ['--strategy', 'canary', '--analysis', analysis],
      /unknown-metric\.yaml:3: analysis\.rules\.0\.metric: expected one of/,
    )
    expect((await status()).state).toBe('idle')
  })

  it('rolls a canary whose predictions drift from the stable back within seconds, rejects it and moves its aliases', async () => {
    // A pipeline named the candidate before rolling it out: once rejected, it must not keep the names.
    for (const alias of ['champion', 'candidate'])
      expect((await run('models', 'alias', 'delay', alias, '3')).code).toBe(0)
    const load = traffic()
    await new Promise((r) => setTimeout(r, 500))
    const started = Date.now()
    const r = await run(
      'deploy',
      'delay@3',
      '--deployment',
      'flights',
      '--strategy',
      'canary',
      '--steps',
      '20,100',
      '--pause',
      '1m',
      '--analysis',
      fastAnalysis,
      '--json',
    )
    expect(r.code, r.stderr).toBe(0)
    expect(json<RolloutDoc>(r).arms.map((a) => [a.version, a.weight, a.role])).toEqual([
      [1, 80, 'stable'],
      [3, 20, 'canary'],
    ])
    const doc = await untilState('the abort', ['aborted'])
    const abortedAt = Date.now()
    await new Promise((res) => setTimeout(res, 700))
    await load.stop()
    expect(abortedAt - started).toBeLessThan(10_000)
    const abort = doc.decisions.find((d) => d.kind === 'abort')!
    expect(abort.message).toContain('prediction_drift')
    const human = (await run('rollout', 'status', 'flights')).stdout
    expect(human).toMatch(/canary rollout ro_\w+ aborted/)
    expect(human).toMatch(/\nprediction_drift +3 +fail /)
    expect(doc.stable.version).toBe(1)
    expect(doc.arms).toEqual([{ model: 'delay', version: 1, weight: 100, role: 'stable' }])
    // The canary answered some requests, none failed, and none sent after the decision reached it.
    expect(load.answers.some((a) => a.version === '3')).toBe(true)
    expect(load.answers.every((a) => a.status === 200)).toBe(true)
    // (The server flips its routing right after the tick that decided: allow it a quarter second.)
    const decidedAt = Date.parse(abort.at)
    expect(load.answers.filter((a) => a.sent > decidedAt + 250 && a.version === '3')).toEqual([])
    const v3 = json<{ status: string; status_reason: string }>(
      await run('models', 'show', 'delay@3', '--json'),
    )
    expect(v3.status).toBe('rejected')
    expect(v3.status_reason).toContain('prediction_drift')
    expect(v3.status_reason).toMatch(/ — rollout ro_\w+ on deployment "flights", /)
    const v1 = json<{ aliases: string[] }>(await run('models', 'show', 'delay@champion', '--json'))
    expect(v1).toMatchObject({ version: 1, aliases: ['candidate', 'champion'] })
    const history = json<{ items: { kind: string; message: string }[] }>(
      await run('rollout', 'history', 'flights', '--limit', '1000', '--json'),
    )
    expect(history.items.filter((d) => d.kind === 'alias').map((d) => d.message)).toEqual([
      'delay@champion moved from version 3 to 1: version 3 was rejected',
      'delay@candidate moved from version 3 to 1: version 3 was rejected',
    ])
  }, 60_000)

  it('refuses to name or deploy the rejected version without --force, and to archive the served one', async () => {
    const alias = await run('models', 'alias', 'delay', 'again', '3')
    expect([alias.code, alias.stderr]).toEqual([
      2,
      expect.stringMatching(
        /delay@3 was rejected \(rolled back to delay@1: rule prediction_drift .* — rollout ro_\w+ on deployment "flights", [^)]+\); give it the alias again anyway with --force/,
      ),
    ])
    const deployed = await run('deploy', 'delay@3', '--deployment', 'flights')
    expect([deployed.code, deployed.stderr]).toEqual([
      2,
      expect.stringContaining('deploy it anyway with --force'),
    ])
    const canary = await run('deploy', 'delay@3', '--deployment', 'flights', '--strategy', 'canary')
    expect([canary.code, canary.stderr]).toEqual([
      2,
      expect.stringContaining('roll it out anyway with --force'),
    ])
    expect((await run('models', 'alias', 'delay', 'suspect', '3', '--force')).code).toBe(0)
    expect((await run('models', 'unalias', 'delay', 'suspect')).code).toBe(0)
    const archive = await run('models', 'archive', 'delay@1')
    expect([archive.code, archive.stderr]).toEqual([
      2,
      expect.stringContaining('delay@1 answers deployment "flights" (its stable version)'),
    ])
    expect((await status()).stable.version).toBe(1)
  })

  it('promotes a healthy canary through its steps: new stable, champion alias, production status', async () => {
    const load = traffic()
    const r = await run(
      'deploy',
      'delay@2',
      '--deployment',
      'flights',
      '--strategy',
      'canary',
      '--steps',
      '30,60,100',
      '--pause',
      '2s',
      '--analysis',
      fastAnalysis,
    )
    expect(r.code, r.stderr).toBe(0)
    const doc = await untilState('the promotion', ['promoted', 'aborted'], 40_000)
    await until('version 2 answering alone', async () =>
      load.answers.at(-1)?.version === '2' ? true : undefined,
    )
    await load.stop()
    expect(doc.state, JSON.stringify(doc.decisions.slice(0, 5))).toBe('promoted')
    expect(doc.stable.version).toBe(2)
    expect(load.answers.every((a) => a.status === 200)).toBe(true)
    const v2 = json<{ status: string; aliases: string[] }>(await run('models', 'show', 'delay@2', '--json'))
    expect(v2).toMatchObject({ status: 'production', aliases: ['champion'] })
    const history = json<{ items: { kind: string; message: string }[] }>(
      await run('rollout', 'history', 'flights', '--limit', '1000', '--json'),
    )
    const mine = history.items.slice(0, history.items.findIndex((d) => d.kind === 'start') + 1).reverse()
    expect(mine.filter((d) => d.kind === 'step').map((d) => d.message)).toEqual([
      'weight set to 30%',
      'pause of 2s passed with every rule passing',
      'weight set to 60%',
      'pause of 2s passed with every rule passing',
      'weight set to 100%',
    ])
    expect(mine.map((d) => d.kind)).toContain('measurement')
  }, 60_000)

  it('lets one of two rollouts started at once win; the other gets a clear error', async () => {
    const both = await Promise.all(
      [1, 4].map((v) =>
        run('deploy', `delay@${v}`, '--deployment', 'flights', '--strategy', 'canary', '--pause', 'manual'),
      ),
    )
    expect(both.map((r) => r.code).sort()).toEqual([0, 2])
    expect(both.find((r) => r.code === 2)!.stderr).toMatch(
      /rollout .*is already running on deployment "flights"/,
    )
    expect((await status()).state).toBe('paused')
    // A plain deploy is refused while it runs.
    const plain = await run('deploy', 'delay@4', '--deployment', 'flights')
    expect(plain.code).toBe(2)
    expect(plain.stderr).toContain('rollout is running')
  })

  it('resumes a rollout after the server restarts, routing as recorded', async () => {
    const before = await status()
    await stopServer()
    await startServer()
    const load = traffic()
    await until('both versions answering', async () =>
      new Set(load.answers.map((a) => a.version)).size === 2 ? true : undefined,
    )
    await load.stop()
    const after = await status()
    expect(after.state).toBe('paused')
    expect(after.arms).toEqual(before.arms)
    const metrics = await (await fetch(`${url}/metrics`)).text()
    expect(metrics).toMatch(/sluice_rollout_weight\{deployment="flights",version="\d",role="canary"\} 10\n/)
    expect(metrics).toMatch(/sluice_rollout_weight\{deployment="flights",version="2",role="stable"\} 90\n/)
    const abort = await run('rollout', 'abort', 'flights', '--reason', 'test over', '--json')
    expect(abort.code).toBe(0)
    expect(json<RolloutDoc>(abort).state).toBe('aborted')
  }, 60_000)

  it('refuses a candidate that does not load, and leaves the stable untouched', async () => {
    const show = json<{ artifact: { digest: string } }>(await run('models', 'show', 'delay@4', '--json'))
    const hex = show.artifact.digest.split(':')[1]!
    const blob = path.join(dir, '.sluice', 'artifacts', 'sha256', hex.slice(0, 2), hex)
    writeFileSync(blob, 'not an onnx model')
    const r = await run('deploy', 'delay@4', '--deployment', 'flights', '--strategy', 'canary')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('the rollout was not started')
    const s = await status()
    expect(s.arms).toEqual([{ model: 'delay', version: 2, weight: 100, role: 'stable' }])
  })

  it('compares a shadow with the stable on the same requests, never answers with it, and rejects it when they disagree', async () => {
    const shadowAnalysis = path.join(dir, 'shadow-analysis.yaml')
    writeFileSync(
      shadowAnalysis,
      `${readFileSync(fastAnalysis, 'utf8')}\n    - {metric: shadow_disagreement, max: 0.1}\n`,
    )
    const load = traffic()
    const r = await run(
      'deploy',
      'delay@5',
      '--deployment',
      'flights',
      '--strategy',
      'shadow',
      '--pause',
      '1m',
      '--analysis',
      shadowAnalysis,
      '--json',
    )
    expect(r.code, r.stderr).toBe(0)
    expect(json<RolloutDoc>(r).arms.map((a) => [a.version, a.weight, a.role])).toEqual([
      [2, 100, 'stable'],
      [5, 100, 'shadow'],
    ])
    const doc = await untilState('the shadow abort', ['aborted'])
    await load.stop()
    expect(doc.decisions.find((d) => d.kind === 'abort')!.message).toMatch(
      /shadow_disagreement|prediction_drift/,
    )
    expect(load.answers.every((a) => a.status === 200 && a.version === '2')).toBe(true)
    const disagreement = doc.decisions.find(
      (d) => d.kind === 'measurement' && d.detail.metric === 'shadow_disagreement',
    )
    expect(disagreement?.detail.samples as number).toBeGreaterThanOrEqual(15)
  }, 60_000)

  it('keeps each user on one version with a sticky header, promotes by hand, and rolls back by hand', async () => {
    const r = await run(
      'deploy',
      'delay@6',
      '--deployment',
      'flights',
      '--strategy',
      'canary',
      '--steps',
      '50,100',
      '--pause',
      'manual',
      '--sticky-key',
      'header:x-user',
    )
    expect(r.code, r.stderr).toBe(0)
    const load = traffic((i) => ({ 'x-user': `user-${i % 40}` }))
    await until('the canary answering', async () =>
      load.answers.some((a) => a.version === '6') ? true : undefined,
    )
    load.answers.length = 0
    await until('every user seen many times', async () => (load.answers.length >= 400 ? true : undefined))
    await load.stop()
    const byUser = new Map<string, Set<string | null>>()
    for (const a of load.answers) byUser.set(a.user!, (byUser.get(a.user!) ?? new Set()).add(a.version))
    expect([...byUser.values()].every((versions) => versions.size === 1)).toBe(true)
    expect(new Set(load.answers.map((a) => a.version))).toEqual(new Set(['2', '6']))
    expect((await status()).state).toBe('paused')
    const promoted = json<RolloutDoc>(await run('rollout', 'promote', 'flights', '--json'))
    expect([promoted.state, promoted.stable.version]).toEqual(['promoted', 6])
    expect(json<{ version: number }>(await run('models', 'show', 'delay@champion', '--json')).version).toBe(6)
    const back = json<{ from: number; to: number }>(await run('rollback', 'flights', '--json'))
    expect(back).toMatchObject({
      from: 6,
      to: 2,
      aliases: [{ model: 'delay', alias: 'champion', from: 6, to: 2 }],
    })
    expect(json<{ status: string }>(await run('models', 'show', 'delay@6', '--json')).status).toBe('rejected')
    expect(json<{ version: number }>(await run('models', 'show', 'delay@champion', '--json')).version).toBe(2)
    expect((await status()).stable.version).toBe(2)
  }, 60_000)

  it('exports the deployment and a planned canary as Kubernetes manifests', async () => {
    const argo = await run(
      'export',
      'argo-rollouts',
      'flights',
      '--candidate',
      'delay@1',
      '--steps',
      '10,50,100',
      '--pause',
      '1m',
    )
    expect(argo.code, argo.stderr).toBe(0)
    const docs = parseAllDocuments(argo.stdout).map((d) => d.toJS())
    const rollout = docs.find((d) => d.kind === 'Rollout')
    expect(rollout.spec.strategy.canary.steps).toEqual([
      { setWeight: 10 },
      { pause: { duration: '1m' } },
      { setWeight: 50 },
      { pause: { duration: '1m' } },
      { setWeight: 100 },
    ])
    const kserve = await run('export', 'kserve', 'flights', '--storage-uri', 's3://models')
    expect(kserve.code, kserve.stderr).toBe(0)
    expect(parseAllDocuments(kserve.stdout)[0]!.toJS().spec.predictor.model.storageUri).toBe(
      's3://models/delay/2/model.onnx',
    )
    const bad = await run('export', 'helm', 'flights')
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('use kserve or argo-rollouts')])
  })

  it('serves a model file pinned to a deployment, keeping its version number (a pod of a cluster rollout)', async () => {
    const { child, url: podUrl } = await spawnServer('serve', tempDir('sluice-pod-'), {
      SLUICE_MODEL_URI: path.join(dir, 'm4.onnx'),
      SLUICE_DEPLOYMENT: 'flights',
      SLUICE_MODEL: 'delay@4',
    })
    try {
      const r = await fetch(`${podUrl}/v1/deployments/flights/predict`, {
        method: 'POST',
        body: JSON.stringify({ instances: [{ distance: 900, origin: 'SFO' }] }),
      })
      expect(r.status).toBe(200)
      expect(r.headers.get('x-model-version')).toBe('4')
    } finally {
      child.kill('SIGTERM')
    }
  })

  it('ends an A/B test when the sequential test finds the challenger worse on the chosen metric', async () => {
    const file = path.join(dir, 'ab.yaml')
    writeFileSync(
      file,
      [
        'strategy: ab',
        'test: {metric: score_mean, goal: minimize, min_samples: 40}',
        'analysis:',
        '  interval: 500ms',
        '  rules: [{metric: error_rate, max: 0.5}]',
      ].join('\n'),
    )
    const load = traffic()
    const r = await run(
      'deploy',
      'delay@5',
      '--deployment',
      'flights',
      '--strategy-file',
      file,
      '--steps',
      '50',
      '--force', // version 5 was rejected by the shadow test above
      '--json',
    )
    expect(r.code, r.stderr).toBe(0)
    expect(json<RolloutDoc>(r).arms.map((a) => [a.version, a.weight, a.role])).toEqual([
      [2, 50, 'stable'],
      [5, 50, 'arm'],
    ])
    const doc = await untilState('the verdict', ['aborted', 'promoted'])
    await load.stop()
    expect(doc.state).toBe('aborted')
    expect(doc.decisions.find((d) => d.kind === 'abort')!.message).toMatch(
      /A\/B: worse than the stable on score_mean/,
    )
    const look = doc.decisions.find((d) => d.kind === 'measurement')!
    expect(look.detail.p_value as number).toBeLessThan(0.05)
    expect(new Set(load.answers.map((a) => a.version))).toEqual(new Set(['2', '5']))
  }, 60_000)

  it("runs rollouts through a server's REST API with --server", async () => {
    const { child: api, url: apiUrl } = await spawnServer('server')
    try {
      const remote = (...args: string[]) => run(...args, '--server', apiUrl)
      const bad = path.join(dir, 'bad-strategy.yaml')
      writeFileSync(bad, 'strategy: canary\nsteps:\n  - setWeight: 120\n')
      const refused = await remote('deploy', 'delay@1', '--deployment', 'flights', '--strategy-file', bad)
      expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('bad-strategy.yaml:3')])
      const started = await remote(
        'deploy',
        'delay@1',
        '--deployment',
        'flights',
        '--strategy',
        'canary',
        '--pause',
        'manual',
        '--json',
      )
      expect(started.code, started.stderr).toBe(0)
      expect(json<RolloutDoc>(started)).toMatchObject({ state: 'paused', stable: { version: 2 } })
      const promoted = json<RolloutDoc>(await remote('rollout', 'promote', 'flights', '--json'))
      expect(promoted.arms.find((a) => a.role === 'canary')!.weight).toBe(25)
      const history = json<{ schema: string; items: { kind: string }[] }>(
        await remote('rollout', 'history', 'flights', '--limit', '3', '--json'),
      )
      expect(history.schema).toBe('sluice.rollout-history/v1')
      expect(history.items).toHaveLength(3)
      const aborted = json<RolloutDoc>(
        await remote('rollout', 'abort', 'flights', '--reason', 'api test', '--json'),
      )
      expect(aborted.state).toBe('aborted')
      const again = await remote('rollout', 'abort', 'flights')
      expect([again.code, again.stderr]).toEqual([2, expect.stringContaining('no rollout is running')])
      const back = json<{ schema: string; from: number; to: number }>(
        await remote('rollback', 'flights', '--json'),
      )
      expect(back).toEqual({
        schema: 'sluice.rollback/v1',
        deployment: 'flights',
        model: 'delay',
        from: 2,
        to: 1,
        aliases: [{ model: 'delay', alias: 'champion', from: 2, to: 1 }],
      })
      // The REST API refuses the rejected version with 409 and the reason; `force` allows an alias.
      const put = (route: string, body: unknown) =>
        fetch(`${apiUrl}/api/v1${route}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      for (const [route, body] of [
        ['/models/delay/aliases/champion', { version: 2 }],
        ['/deployments/flights', { model: 'delay@2' }],
      ] as const) {
        const refused = await put(route, body)
        expect(refused.status, route).toBe(409)
        expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
          /^delay@2 was rejected \(rolled back by hand to version 1 — deployment "flights", [^)]+\); .* anyway with --force \(REST: "force": true\)$/,
        )
      }
      expect((await put('/models/delay/aliases/suspect', { version: 2, force: true })).status).toBe(200)
      const spec = (await (await fetch(`${apiUrl}/openapi.json`)).json()) as {
        paths: Record<string, unknown>
      }
      expect(Object.keys(spec.paths)).toContain('/api/v1/deployments/{name}/rollout')
    } finally {
      api.kill('SIGTERM')
    }
  }, 60_000)
})
