// The main job on a fresh machine, until the end-to-end loop exists: create a home, version the
// real flights data, train two flight-delay models on January–February (logistic, then gbdt) and
// register them with their lineage, evaluate both on March, gate the second against the first,
// alias it as champion, search, print its model card, predict with it and verify the artifact
// store (all in ./demo/); then run the example pipeline (examples/flights-delay) twice.
import { spawnSync } from 'node:child_process'
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const demo = path.join(root, 'demo')
const flights = path.join(
  path.dirname(fileURLToPath(import.meta.resolve('vega-datasets'))),
  '..',
  'data',
  'flights-3m.parquet',
)
const FEATURES = 'hour,weekday,distance,origin,destination'
// The demo makes its own homes: a SLUICE_HOME or SLUICE_SERVER the caller exported must not redirect it.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SLUICE_')))

const sluice = (...args) => sluiceIn(demo, ...args)

function sluiceIn(cwd, ...args) {
  process.stdout.write(`\n$ sluice ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`)
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'sluice.js'), ...args], {
    cwd,
    env,
    stdio: 'inherit',
  })
  if (r.status !== 0) {
    process.stderr.write(`demo step failed (exit ${r.status})\n`)
    process.exit(r.status ?? 1)
  }
}

rmSync(demo, { recursive: true, force: true })
mkdirSync(demo, { recursive: true })
// The example pipeline's prepare step derives the model's columns (hour, weekday, delayed, …).
const example = path.join(root, 'examples', 'flights-delay')
const prepared = spawnSync(process.execPath, [path.join(example, 'prepare.mjs'), flights, demo], {
  env,
  stdio: 'inherit',
})
if (prepared.status !== 0) process.exit(prepared.status ?? 1)
renameSync(path.join(demo, 'train.parquet'), path.join(demo, 'jan-feb.parquet'))
renameSync(path.join(demo, 'eval.parquet'), path.join(demo, 'march.parquet'))

sluice('init')
sluice('data', 'add', flights, '--name', 'flights')
sluice('data', 'add', 'march.parquet', '--name', 'flights-march')
for (const [algo, file] of [
  ['logistic', 'delay-logistic.onnx'],
  ['gbdt', 'delay-gbdt.onnx'],
]) {
  sluice(
    'train',
    '--algo',
    algo,
    '--data',
    'jan-feb.parquet',
    '--target',
    'delayed',
    '--features',
    FEATURES,
    '--seed',
    '7',
    '--out',
    file,
    '--register',
    'flight-delay',
    '--dataset',
    'flights-jan-feb',
  )
}
sluice(
  'evaluate',
  'flight-delay@1',
  '--data',
  'march.parquet',
  '--target',
  'delayed',
  '--out',
  'eval-v1.json',
)
sluice(
  'evaluate',
  'flight-delay@2',
  '--data',
  'march.parquet',
  '--target',
  'delayed',
  '--slice-by',
  'weekday',
  '--predictions-out',
  'march-predictions.parquet',
  '--out',
  'eval-v2.json',
)
// Gate v2 against v1's evaluation on the same rows: absolute floors, the change, budgets.
writeFileSync(
  path.join(demo, 'gates.yaml'),
  `gates:
  metrics:
    roc_auc: {threshold: 0.65, min_absolute_change: 0.005, greater_is_better: true}
    log_loss: {threshold: 0.6, greater_is_better: false}
  budgets: {model_size_mb: 50, latency_ms_p99: 50}
`,
)
sluice('gate', '--evaluation', 'eval-v2.json', '--baseline', 'eval-v1.json', '--rules', 'gates.yaml')
sluice('models', 'alias', 'flight-delay', 'champion', '2')
sluice('models', 'alias', 'flight-delay', 'previous', '1')
sluice('models', 'list', '--where', 'roc_auc>0.65')
sluice('models', 'card', 'flight-delay@champion')
sluice('predict', 'flight-delay@champion', '--data', 'march.parquet', '--out', 'predictions.parquet')
sluice('artifacts', 'verify')

// The same loop as a pipeline (examples/flights-delay): prepare → validate → train → evaluate →
// gate → register, then again with everything cached, and why nothing would run now.
for (const leftover of ['.sluice', 'data', 'models', 'reports'])
  rmSync(path.join(example, leftover), { recursive: true, force: true })
sluiceIn(example, 'run')
sluiceIn(example, 'run')
sluiceIn(example, 'status')
sluiceIn(example, 'models', 'list')
process.stdout.write(
  `\nDone. The demo's home is ${path.join(demo, '.sluice')}, the pipeline's ${path.join(example, '.sluice')}; try: cd examples/flights-delay && npx sluice runs list\n`,
)
