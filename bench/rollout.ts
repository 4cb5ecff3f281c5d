// Rollout reaction time: `sluice serve` under a steady open-loop load (default 100 req/s) on
// 127.0.0.1, with the default analysis (every 2 s over a 30 s window, ≥ 20 canary requests).
//   1. errors: a canary at 10% whose error rate is 20% while the stable's is 1% (synthetic models
//      that fail on the top 1% / 20% of their input range);
//   2. drift: a canary trained on the real flights with inverted labels;
//   3. healthy: a canary trained on the same flights with another seed, through steps 10,50,100.
// Target: 1 and 2 rolled back within 10 s of the canary starting, no failed request caused by the
// rollback, no request answered by the bad version after it; 3 promoted through all its steps.
// Run: npm run bench:rollout [-- --rate 100]
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { frameFromColumns } from '../src/data/build.js'
import { cell } from '../src/data/frame.js'
import { loadFrame } from '../src/data/load.js'
import { writeFrame } from '../src/data/write.js'
import { ElemType, encodeModel, int } from '../src/models/onnx/graph.js'
import { ensureModelData, FEATURES } from './models-data.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const bin = path.join(here, '..', 'bin', 'sluice.js')
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    rows: { type: 'string', default: '200000' },
    dir: { type: 'string', default: path.join(here, 'out', 'rollout') },
  },
})
const rate = Number(values.rate)
const dir = path.resolve(values.dir)
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
const options = { cwd: dir, env: { ...process.env, SLUICE_HOME: '' }, encoding: 'utf8' } as const
const sluice = (...args: string[]) => execFileSync(process.execPath, [bin, ...args], options)
// While the load runs, the CLI must not block this process's event loop (it sends the requests).
const sluiceAsync = async (...args: string[]) =>
  (await promisify(execFile)(process.execPath, [bin, ...args], options)).stdout

// Synthetic models: y = table[floor(x)] for x in [0, 100); an index past the table fails the call.
function failingModel(tableLength: number): Uint8Array {
  const table = Float32Array.from({ length: tableLength }, (_, i) => i / 100)
  return encodeModel({
    name: 'faulty',
    inputs: [{ name: 'x', elemType: ElemType.FLOAT, shape: ['N', 1] }],
    outputs: [{ name: 'y', elemType: ElemType.FLOAT, shape: ['N', 1] }],
    initializers: [
      { name: 'table', dims: [tableLength], dataType: ElemType.FLOAT, rawData: new Uint8Array(table.buffer) },
    ],
    nodes: [
      { op: 'Floor', inputs: ['x'], outputs: ['fx'] },
      { op: 'Cast', inputs: ['fx'], outputs: ['ix'], attrs: { to: int(ElemType.INT64) } },
      { op: 'Gather', inputs: ['table', 'ix'], outputs: ['y'] },
    ],
  })
}
for (const [file, length] of [
  ['stable-1pct.onnx', 99],
  ['canary-20pct.onnx', 80],
] as const) {
  writeFileSync(path.join(dir, file), failingModel(length))
  sluice('models', 'register', 'faulty', '--artifact', file, '--flavor', 'onnx')
}
sluice('deploy', 'faulty@1', '--deployment', 'errors')

// Flights: January–February for training (a sample), March rows as requests.
const data = await ensureModelData()
const { frame: train } = await loadFrame(data.trainParquet)
const n = Math.min(Number(values.rows), train.rows)
const pick = Array.from({ length: n }, (_, i) => Math.floor((i * train.rows) / n))
const col = (name: string) => train.columns.find((c) => c.name === name)!
for (const invert of [false, true]) {
  const columns: Record<string, (number | string)[]> = {}
  for (const f of [...FEATURES, 'delayed']) columns[f] = pick.map((r) => cell(col(f), r) as number | string)
  if (invert) columns.delayed = columns.delayed!.map((y) => 1 - (y as number))
  await writeFrame(frameFromColumns(columns), path.join(dir, invert ? 'inverted.parquet' : 'train.parquet'))
}
const train_ = (file: string, seed: string) =>
  sluice(
    'train',
    '--algo',
    'logistic',
    '--data',
    file,
    '--target',
    'delayed',
    '--features',
    FEATURES.join(','),
    '--seed',
    seed,
    '--out',
    `m${seed}.onnx`,
    '--register',
    'delay',
  )
train_('train.parquet', '1')
train_('inverted.parquet', '2')
train_('train.parquet', '3')
sluice('deploy', 'delay@1', '--deployment', 'flights')
const { frame: march } = await loadFrame(data.testParquet)
const instances = Array.from({ length: 5000 }, (_, i) => {
  const r = Math.floor((i * march.rows) / 5000)
  return Object.fromEntries(FEATURES.map((f) => [f, cell(march.columns.find((c) => c.name === f)!, r)]))
})

const server: ChildProcess = spawn(process.execPath, [bin, 'serve', '--port', '0', '--json'], {
  cwd: dir,
  env: { ...process.env, SLUICE_HOME: '' },
  stdio: ['ignore', 'pipe', 'inherit'],
})
const url = await new Promise<string>((resolve) => {
  let first = true
  server.stdout!.on('data', (b: Buffer) => {
    if (first) resolve(JSON.parse(b.toString().split('\n')[0]!).url)
    first = false
  })
})

interface Answer {
  sent: number
  status: number
  version: string | null
}

/** Open-loop load: one request every 1000/rate ms, whatever the answers take. */
function load(deployment: string, body: (i: number) => string) {
  const answers: Answer[] = []
  let i = 0
  const timer = setInterval(() => {
    const sent = Date.now()
    fetch(`${url}/v1/deployments/${deployment}/predict`, { method: 'POST', body: body(i++) })
      .then(async (r) => {
        await r.arrayBuffer()
        answers.push({ sent, status: r.status, version: r.headers.get('x-model-version') })
      })
      .catch(() => answers.push({ sent, status: 0, version: null }))
  }, 1000 / rate)
  return {
    answers,
    stop: async () => {
      clearInterval(timer)
      await new Promise((r) => setTimeout(r, 500))
    },
  }
}

interface Status {
  state: string
  decisions: { at: string; kind: string; message: string }[]
}
const status = async (d: string): Promise<Status> =>
  JSON.parse(await sluiceAsync('rollout', 'status', d, '--json'))

async function scenario(
  name: string,
  deployment: string,
  ref: string,
  args: string[],
  body: (i: number) => string,
  expect: 'aborted' | 'promoted',
) {
  const traffic = load(deployment, body)
  await new Promise((r) => setTimeout(r, 3000)) // the stable alone first
  const started = Date.now()
  await sluiceAsync('deploy', ref, '--deployment', deployment, '--strategy', 'canary', ...args)
  let s: Status
  for (;;) {
    s = await status(deployment)
    if (s.state === 'aborted' || s.state === 'promoted') break
    if (Date.now() - started > 120_000) break
    await new Promise((r) => setTimeout(r, 100))
  }
  const ended = s.decisions.find((d) => d.kind === 'abort' || d.kind === 'promote')
  const decidedAt = ended ? Date.parse(ended.at) : Number.NaN
  await new Promise((r) => setTimeout(r, 2000))
  await traffic.stop()
  const bad = ref.split('@')[1]!
  const during = traffic.answers.filter((a) => a.sent >= started)
  const lastBad = Math.max(...during.filter((a) => a.version === bad).map((a) => a.sent))
  const after = during.filter((a) => a.sent > decidedAt)
  const failedAfter = after.filter(
    (a) => a.status !== 200 && (expect === 'promoted' || a.status !== 500 || a.version !== '1'),
  )
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  const ok = s.state === expect && (expect === 'promoted' || decidedAt - started <= 10_000)
  console.log(`\n${name}: ${s.state} (expected ${expect}) — ${ok ? 'ok' : 'MISSED'}`)
  console.log(`  ${ended?.message ?? 'no decision'}`)
  console.log(
    `  decided ${seconds(decidedAt - started)} after the canary started; ${during.length} requests meanwhile`,
  )
  if (expect === 'aborted') {
    console.log(
      `  last request sent to the bad version: ${seconds(lastBad - started)} after the start (${seconds(lastBad - decidedAt)} relative to the decision)`,
    )
    console.log(
      `  requests after the decision: ${after.length}; answered by the bad version: ${after.filter((a) => a.version === bad).length}; failed other than the stable's own 1%: ${failedAfter.length}`,
    )
  } else console.log(`  requests failed: ${during.filter((a) => a.status !== 200).length}`)
  return ok
}

const results = [
  await scenario(
    'errors: canary fails 20% vs stable 1%',
    'errors',
    'faulty@2',
    ['--steps', '10,100', '--pause', '5m'],
    (i) => JSON.stringify({ instances: [{ x: ((i * 7919) % 10_000) / 100 }] }),
    'aborted',
  ),
  await scenario(
    'drift: canary trained on inverted labels',
    'flights',
    'delay@2',
    ['--steps', '10,100', '--pause', '5m'],
    (i) => JSON.stringify({ instances: [instances[i % instances.length]] }),
    'aborted',
  ),
  await scenario(
    'healthy: same data, another seed',
    'flights',
    'delay@3',
    ['--steps', '10,50,100', '--pause', '10s'],
    (i) => JSON.stringify({ instances: [instances[i % instances.length]] }),
    'promoted',
  ),
]
server.kill('SIGTERM')
console.log(`\n${results.every(Boolean) ? 'all targets met' : 'some targets MISSED'} at ${rate} req/s`)
