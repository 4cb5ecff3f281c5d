// Registry search at scale: 10 000 models, 1 000 000 versions (tags, aliases, metrics), then p50/p95
// latency of search by name prefix, tag, alias and metric condition, and of `show NAME@champion`,
// through the same LocalRegistry the CLI and server use. Target: p95 ≤ 50 ms each.
// Run: npm run bench:registry  [-- --models 10000 --versions-per-model 100]
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { loadConfig } from '../src/core/config.js'
import { sha256Bytes } from '../src/core/hash.js'
import { LocalRegistry } from '../src/registry/local.js'

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '10000' },
    'versions-per-model': { type: 'string', default: '100' },
    queries: { type: 'string', default: '200' },
    /** Keep (or reuse) the filled registry in this folder instead of a temporary one. */
    keep: { type: 'string' },
  },
})
const MODELS = Number(values.models)
const PER_MODEL = Number(values['versions-per-model'])
const QUERIES = Number(values.queries)
const TEAMS = 50

const dir = values.keep
  ? path.resolve(values.keep)
  : mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-registry-'))
const config = loadConfig({ cwd: dir, env: {} })
const reuse = values.keep !== undefined && existsSync(config.store.path)

let seed = 42
const rand = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0
  return seed / 2 ** 32
}
const modelName = (m: number) => `model-${String(m).padStart(5, '0')}`

// 1. Create the schema through the store, then bulk-load rows with prepared statements (filling is
//    not what is measured; registering a million versions one transaction at a time would take long).
const fillStart = performance.now()
if (!reuse) await fill()
const fillSeconds = (performance.now() - fillStart) / 1000

async function fill() {
  const registry0 = await LocalRegistry.open(config)
  await registry0.close()
  const db = new Database(config.store.path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF')
  const insModel = db.prepare(
    'insert into models (id, name, description, next_version, created_at, updated_at) values (?, ?, null, ?, ?, ?)',
  )
  const insVersion = db.prepare(
    `insert into model_versions (id, model_id, version, status, status_reason, artifact_digest, artifact_size, artifact_kind, flavor,
   signature, params, description, run_id, code_commit, code_dirty, environment, parent_version, created_at, updated_at)
   values (?, ?, ?, ?, null, ?, 1000, 'file', 'onnx', null, '{"max_depth":6}', null, null, null, null, null, null, ?, ?)`,
  )
  const insMetric = db.prepare('insert into version_metrics (version_id, key, value) values (?, ?, ?)')
  const insTag = db.prepare('insert into version_tags (version_id, key, value) values (?, ?, ?)')
  const insAlias = db.prepare(
    'insert into model_aliases (model_id, alias, version_id, updated_at) values (?, ?, ?, ?)',
  )
  const digest = sha256Bytes('artifact')
  let versionId = 0
  const insert = db.transaction((from: number, to: number) => {
    for (let m = from; m < to; m++) {
      const t = new Date(Date.UTC(2026, 0, 1) + m * 60_000).toISOString()
      insModel.run(m + 1, modelName(m), PER_MODEL + 1, t, t)
      for (let v = 1; v <= PER_MODEL; v++) {
        const id = ++versionId
        const status = v === PER_MODEL ? 'production' : v < PER_MODEL - 10 ? 'archived' : 'candidate'
        insVersion.run(id, m + 1, v, status, digest, t, t)
        insMetric.run(id, 'accuracy', rand())
        insMetric.run(id, 'log_loss', rand() * 2)
        insMetric.run(id, 'roc_auc', 0.5 + rand() / 2)
        insTag.run(id, 'team', `team-${m % TEAMS}`)
        insTag.run(id, 'stage', v % 10 === 0 ? 'release' : 'experiment')
        if (v === PER_MODEL) insAlias.run(m + 1, 'champion', id, t)
        if (v === PER_MODEL - 1) insAlias.run(m + 1, 'challenger', id, t)
      }
    }
  })
  for (let m = 0; m < MODELS; m += 500) insert(m, Math.min(MODELS, m + 500))
  db.close()
}

// 2. Measure through the registry, as a user would reach it.
const registry = await LocalRegistry.open(config)
const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!
const scenarios: [string, () => Promise<unknown>][] = [
  [
    'search by name prefix',
    () => registry.searchModelVersions({ prefix: modelName(Math.floor(rand() * MODELS)).slice(0, 9) }),
  ],
  [
    'search by tag',
    () =>
      registry.searchModelVersions({
        tags: { team: `team-${Math.floor(rand() * TEAMS)}`, stage: 'release' },
      }),
  ],
  ['search by alias', () => registry.searchModelVersions({ alias: pick(['champion', 'challenger']) })],
  [
    'search by metric condition',
    () =>
      registry.searchModelVersions({
        where: `accuracy>${(0.5 + rand() * 0.49).toFixed(3)} and log_loss<${(0.2 + rand()).toFixed(2)}`,
      }),
  ],
  [
    'search by rare metric condition',
    () => registry.searchModelVersions({ where: `accuracy>0.9995 and roc_auc>0.99` }),
  ],
  [
    'search by prefix + status',
    () => registry.searchModelVersions({ prefix: 'model-0', statuses: ['production'] }),
  ],
  [
    'show NAME@champion',
    () => registry.getModelVersion(`${modelName(Math.floor(rand() * MODELS))}@champion`),
  ],
  ['show NAME@latest', () => registry.getModelVersion(`${modelName(Math.floor(rand() * MODELS))}@latest`)],
]
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!
console.log(
  `registry: ${MODELS.toLocaleString()} models, ${(MODELS * PER_MODEL).toLocaleString()} versions, ${(MODELS * PER_MODEL * 3).toLocaleString()} metrics, ${(MODELS * PER_MODEL * 2).toLocaleString()} tags (${reuse ? 'reused' : `filled in ${fillSeconds.toFixed(1)} s`})`,
)
console.log('operation                          p50 ms   p95 ms   max ms   results  target p95 ≤ 50 ms')
let ok = true
for (const [name, run] of scenarios) {
  for (let i = 0; i < 5; i++) await run() // warm-up
  const times: number[] = []
  let results = 0
  for (let i = 0; i < QUERIES; i++) {
    const t0 = performance.now()
    const r = (await run()) as { items?: unknown[] }
    times.push(performance.now() - t0)
    results = r.items ? r.items.length : 1
  }
  times.sort((a, b) => a - b)
  const p95 = pct(times, 95)
  ok &&= p95 <= 50
  console.log(
    `${name.padEnd(34)} ${pct(times, 50).toFixed(2).padStart(6)}   ${p95.toFixed(2).padStart(6)}   ${times[times.length - 1]!.toFixed(2).padStart(6)}   ${String(results).padStart(7)}  ${p95 <= 50 ? 'ok' : 'MISSED'}`,
  )
}
await registry.close()
if (!values.keep) rmSync(dir, { recursive: true, force: true })
console.log(ok ? 'all p95 within 50 ms' : 'some p95 above 50 ms')
