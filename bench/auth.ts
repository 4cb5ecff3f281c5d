// Answering wrong API tokens: 10,000 requests in a row, each with a different wrong token, on one
// kept-alive connection to `sluice server` (tokens required, serving.auth: token), on a REST route
// and on inference (the model server's fast path); then 10,000 with a valid token for comparison.
// Target: p99 ≤ 20 ms for the wrong tokens (each is refused, counted and logged).
// Run: npm run bench:auth [-- --requests 10000]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { logisticModel } from '../scripts/onnx-fixtures.mjs'
import { newSecret } from '../src/api/auth/secret.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const bin = path.join(here, '..', 'bin', 'sluice.js')
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    port: { type: 'string', default: '18421' },
    dir: { type: 'string', default: path.join(here, 'out', 'auth') },
  },
})
const n = Number(values.requests)
const dir = path.resolve(values.dir)
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })

const sluice = (...args: string[]) =>
  execFileSync(process.execPath, [bin, ...args], {
    cwd: dir,
    env: { ...process.env, SLUICE_HOME: '' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
writeFileSync(path.join(dir, 'm.onnx'), logisticModel({ features: ['distance'], weights: [0.01] }))
writeFileSync(path.join(dir, 'sluice.yaml'), 'serving:\n  auth: token\n')
sluice('models', 'register', 'm', '--artifact', 'm.onnx', '--flavor', 'onnx')
sluice('deploy', 'm@1', '--deployment', 'd')
const admin = sluice('tokens', 'create', 'root', '--scope', 'admin').trim()

const log = openSync(path.join(dir, 'server.log'), 'w')
const child: ChildProcess = spawn(bin, ['server', '--port', values.port], {
  cwd: dir,
  env: { ...process.env, SLUICE_HOME: '' },
  stdio: ['ignore', log, log],
})
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
const infer = JSON.stringify({ inputs: [{ name: 'distance', shape: [1, 1], datatype: 'FP32', data: [100] }] })

/** One request on the kept-alive connection: its status and milliseconds. */
function call(method: string, route: string, token: string): Promise<{ status: number; ms: number }> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: values.port,
        method,
        path: route,
        agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode!, ms: performance.now() - started }))
      },
    )
    req.on('error', reject)
    req.end(method === 'POST' ? infer : undefined)
  })
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

async function run(label: string, method: string, route: string, token: () => string, want: number) {
  const times: number[] = []
  let wrong = 0
  for (let i = 0; i < n; i++) {
    const r = await call(method, route, token())
    if (r.status !== want) wrong++
    times.push(r.ms)
  }
  const p99 = quantile(times, 0.99)
  console.log(
    `${label.padEnd(50)} p50 ${quantile(times, 0.5).toFixed(2).padStart(6)} ms  p99 ${p99.toFixed(2).padStart(6)} ms  max ${Math.max(
      ...times,
    )
      .toFixed(1)
      .padStart(6)} ms  not ${want}: ${wrong}`,
  )
  return { p99, wrong }
}

try {
  for (let i = 0; i < 300; i++) {
    const up = await call('GET', '/healthz', admin).catch(() => null)
    if (up?.status === 200) break
    await new Promise((r) => setTimeout(r, 100))
  }
  // Warm-up, discarded.
  for (let i = 0; i < 500; i++) await call('GET', '/api/v1/model-versions', newSecret().token)
  console.log(`${n} requests in a row on one kept-alive connection to sluice server (127.0.0.1)`)
  const rest = await run(
    'REST GET /api/v1/model-versions, wrong tokens',
    'GET',
    '/api/v1/model-versions',
    () => newSecret().token,
    401,
  )
  const inference = await run(
    'inference POST /v2/models/d/infer, wrong tokens',
    'POST',
    '/v2/models/d/infer',
    () => newSecret().token,
    401,
  )
  await run(
    'REST GET /api/v1/model-versions, a valid token',
    'GET',
    '/api/v1/model-versions',
    () => admin,
    200,
  )
  await run(
    'inference POST /v2/models/d/infer, a valid token',
    'POST',
    '/v2/models/d/infer',
    () => admin,
    200,
  )
  const ok = (x: { p99: number; wrong: number }) => (x.p99 <= 20 && x.wrong === 0 ? 'ok' : 'MISSED')
  console.log(`wrong tokens, p99 ≤ 20 ms and every one refused: REST ${ok(rest)}, inference ${ok(inference)}`)
} finally {
  agent.destroy()
  child.kill('SIGTERM')
}
