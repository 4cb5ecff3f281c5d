// The main job on a fresh machine, until the end-to-end loop exists: create a home, version the
// real flights data, register two model versions with their lineage, alias the champion, search,
// print the model card and verify the artifact store. Everything lands in ./demo/.
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { logisticModel } from './onnx-fixtures.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const demo = path.join(root, 'demo')
const flights = path.join(
  path.dirname(fileURLToPath(import.meta.resolve('vega-datasets'))),
  '..',
  'data',
  'flights-3m.parquet',
)

rmSync(demo, { recursive: true, force: true })
mkdirSync(demo, { recursive: true })
writeFileSync(
  path.join(demo, 'delay-v1.onnx'),
  logisticModel({ features: ['distance', 'hour'], weights: [0.0004, 0.06], bias: -1.9, name: 'delay-v1' }),
)
writeFileSync(
  path.join(demo, 'delay-v2.onnx'),
  logisticModel({ features: ['distance', 'hour'], weights: [0.0003, 0.08], bias: -2.2, name: 'delay-v2' }),
)

function sluice(...args) {
  process.stdout.write(`\n$ sluice ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`)
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'sluice.js'), ...args], {
    cwd: demo,
    stdio: 'inherit',
  })
  if (r.status !== 0) {
    process.stderr.write(`demo step failed (exit ${r.status})\n`)
    process.exit(r.status ?? 1)
  }
}

sluice('init')
sluice('data', 'add', flights, '--name', 'flights')
sluice('data', 'show', 'flights@1')
sluice(
  'models',
  'register',
  'flight-delay',
  '--artifact',
  'delay-v1.onnx',
  '--flavor',
  'onnx',
  '--metric',
  'roc_auc=0.612',
  '--metric',
  'log_loss=0.521',
  '--param',
  'C=1.0',
  '--param',
  'features=distance,hour',
  '--tag',
  'team=ops',
  '--dataset',
  'flights@1',
  '--description',
  'Logistic baseline: is a flight delayed by more than 15 minutes?',
)
sluice(
  'models',
  'register',
  'flight-delay',
  '--artifact',
  'delay-v2.onnx',
  '--flavor',
  'onnx',
  '--metric',
  'roc_auc=0.634',
  '--metric',
  'log_loss=0.509',
  '--param',
  'C=0.5',
  '--param',
  'features=distance,hour',
  '--tag',
  'team=ops',
  '--dataset',
  'flights@1',
  '--parent',
  '1',
  '--description',
  'Stronger regularisation, retrained on the same data.',
)
sluice('models', 'alias', 'flight-delay', 'champion', '1')
sluice('models', 'alias', 'flight-delay', 'champion', '2')
sluice('models', 'alias', 'flight-delay', 'previous', '1')
sluice('models', 'list', '--where', 'roc_auc>0.6 and log_loss<0.52')
sluice('models', 'card', 'flight-delay@champion')
sluice('artifacts', 'verify')
process.stdout.write(
  `\nDone. The home is ${path.join(demo, '.sluice')}; try: cd demo && npx sluice models show flight-delay@champion\n`,
)
