// Model-server throughput at 100 concurrent connections (wrk on 127.0.0.1, same run, same request):
//   sluice serve (request logging on) with micro-batching off, then on;
//   a bare Node `http` server answering a fixed body (the ceiling);
//   FastAPI + uvicorn + scikit-learn answering the same protocol (the baseline teams use).
// Targets: sluice ≥ 30% of the bare server's requests/s with batching off, ≥ 50% with it on,
// p99 ≤ 20 ms, zero errors. Needs Debian's wrk, python3-fastapi, python3-uvicorn, python3-sklearn.
// Run: npm run bench:serving [-- --seconds 10 --connections 100 --threads 1]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = path.dirname(fileURLToPath(import.meta.url))
const bin = path.join(here, '..', 'bin', 'sluice.js')
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '100' },
    // One load-generator thread: on a 2-core machine a second one takes CPU from the server under
    // test (and its p99); one wrk thread drives the bare server as hard as two do.
    threads: { type: 'string', default: '1' },
    dir: { type: 'string', default: path.join(here, 'out', 'serving') },
  },
})
const dir = path.resolve(values.dir)
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })

// Training data: delay from distance, hour and origin airport.
const origins = ['SFO', 'JFK', 'ORD', 'ATL', 'DFW', 'LAX', 'SEA', 'BOS']
const rows = Array.from({ length: 5000 }, (_, i) => {
  const distance = (i * 7919) % 2500
  const hour = (i * 31) % 24
  const origin = origins[(i * 13) % origins.length]!
  const delayed =
    0.001 * distance + 0.1 * (hour - 12) + (origin === 'ORD' ? 1 : 0) + (((i * 104729) % 100) / 50 - 1) > 1
      ? 1
      : 0
  return `${distance},${hour},${origin},${delayed}`
})
writeFileSync(path.join(dir, 'train.csv'), `distance,hour,origin,delayed\n${rows.join('\n')}\n`)

const sluice = (...args: string[]) =>
  execFileSync(process.execPath, [bin, ...args], {
    cwd: dir,
    env: { ...process.env, SLUICE_HOME: '' },
    encoding: 'utf8',
  })
sluice(
  'train',
  '--algo',
  'logistic',
  '--data',
  'train.csv',
  '--target',
  'delayed',
  '--features',
  'distance,hour,origin',
  '--out',
  'model.onnx',
  '--register',
  'delay',
)
sluice('deploy', 'delay@1', '--deployment', 'plain')
sluice('deploy', 'delay@1', '--deployment', 'batched', '--batch-size', '64', '--batch-wait', '1ms')

const body = JSON.stringify({
  inputs: [
    { name: 'distance', shape: [1, 1], datatype: 'FP32', data: [[1234]] },
    { name: 'hour', shape: [1, 1], datatype: 'FP32', data: [[17]] },
    { name: 'origin', shape: [1, 1], datatype: 'BYTES', data: [['ORD']] },
  ],
})
writeFileSync(
  path.join(dir, 'post.lua'),
  `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`,
)

/** Starts a server process and resolves once `url` answers. */
async function start(cmd: string, args: string[], url: string, log: string): Promise<ChildProcess> {
  const out = openSync(path.join(dir, log), 'w')
  const child = spawn(cmd, args, {
    cwd: dir,
    env: { ...process.env, SLUICE_HOME: '' },
    stdio: ['ignore', out, out],
  })
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
      .then((r) => r.ok)
      .catch(() => false)
    if (ok) return child
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill()
  throw new Error(`${cmd} ${args.join(' ')} did not answer ${url}; see ${log}`)
}

interface Load {
  rps: number
  p99ms: number
  errors: number
}

function wrk(url: string): Load {
  const out = execFileSync(
    'wrk',
    [
      `-t${values.threads}`,
      `-c${values.connections}`,
      `-d${values.seconds}s`,
      '--latency',
      '-s',
      path.join(dir, 'post.lua'),
      url,
    ],
    { encoding: 'utf8' },
  )
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1])
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out)!
  const p99ms = Number(p99[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[p99[2]!]!
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = non2xx + (socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0)
  return { rps, p99ms, errors }
}

async function measure(cmd: string, args: string[], url: string, log: string): Promise<Load> {
  const child = await start(cmd, args, url, log)
  try {
    wrk(url) // warm-up, discarded
    return wrk(url)
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
}

const bareScript = `require('http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(200,{'content-type':'application/json'});s.end('{"outputs":[]}')})}).listen(18401,'127.0.0.1')`
const bare = await measure(process.execPath, ['-e', bareScript], 'http://127.0.0.1:18401/', 'bare.log')
// The floor under "batching off": Node http plus one onnxruntime call per request, nothing else
// (no parsing, validation, logging or metrics) — what a per-request model call costs on this machine.
const ortScript = `const ort=require('onnxruntime-node');ort.InferenceSession.create('model.onnx',{intraOpNumThreads:1,interOpNumThreads:1}).then((m)=>require('http').createServer((q,s)=>{q.resume();q.on('end',()=>m.run({distance:new ort.Tensor('float32',Float32Array.of(1234),[1,1]),hour:new ort.Tensor('float32',Float32Array.of(17),[1,1]),origin:new ort.Tensor('string',['ORD'],[1,1])}).then(()=>{s.writeHead(200,{'content-type':'application/json'});s.end('{"outputs":[]}')}))}).listen(18405,'127.0.0.1'))`
const ortOnly = await measure(process.execPath, ['-e', ortScript], 'http://127.0.0.1:18405/', 'ort-only.log')
// sluice is started as its users start it: through its launcher (bin/sluice.js and its node flags).
const off = await measure(
  bin,
  ['serve', '--port', '18402'],
  'http://127.0.0.1:18402/v2/models/plain/infer',
  'sluice-off.log',
)
const on = await measure(
  bin,
  ['serve', '--port', '18403'],
  'http://127.0.0.1:18403/v2/models/batched/infer',
  'sluice-on.log',
)
const fastapi = await measure(
  '/usr/bin/python3',
  [path.join(here, 'serving_baseline.py'), 'train.csv', '18404'],
  'http://127.0.0.1:18404/v2/models/delay/infer',
  'fastapi.log',
)

const line = (name: string, l: Load) =>
  `${name.padEnd(34)} ${l.rps.toFixed(0).padStart(7)} req/s  p99 ${l.p99ms.toFixed(2).padStart(6)} ms  errors ${l.errors}`
console.log(
  `${values.connections} connections, ${values.seconds} s each, one-row OIP v2 requests (wrk on 127.0.0.1)`,
)
console.log(line('bare node http (fixed body)', bare))
console.log(line('node http + one onnxruntime call', ortOnly))
console.log(line('sluice serve, batching off', off))
console.log(line('sluice serve, batching on (64, 1ms)', on))
console.log(line('FastAPI + uvicorn + scikit-learn', fastapi))
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED')
console.log(
  `batching off: ${((100 * off.rps) / bare.rps).toFixed(0)}% of bare (target ≥ 30%: ${verdict(off.rps >= 0.3 * bare.rps)}), ×${(off.rps / fastapi.rps).toFixed(1)} FastAPI; p99 ≤ 20 ms: ${verdict(off.p99ms <= 20)}; zero errors: ${verdict(off.errors === 0)}`,
)
console.log(
  `batching off is ${((100 * off.rps) / ortOnly.rps).toFixed(0)}% of node http + one onnxruntime call per request (${((100 * ortOnly.rps) / bare.rps).toFixed(0)}% of bare)`,
)
console.log(
  `batching on:  ${((100 * on.rps) / bare.rps).toFixed(0)}% of bare (target ≥ 50%: ${verdict(on.rps >= 0.5 * bare.rps)}), ×${(on.rps / fastapi.rps).toFixed(1)} FastAPI; p99 ≤ 20 ms: ${verdict(on.p99ms <= 20)}; zero errors: ${verdict(on.errors === 0)}`,
)
