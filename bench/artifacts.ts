// Artifact store throughput and memory on a 2 GB file: put (hash + temp + fsync + rename) and get
// (verified copy out), each in its own process so its peak resident memory is its own, compared
// with `cp` (and `cp` followed by fsync, which is what put promises) on the same disk, same run.
// Target: under 150 MB peak RSS. Run: npm run bench:artifacts [-- --gigabytes 2 --dir bench/out]
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = path.dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    gigabytes: { type: 'string', default: '2' },
    dir: { type: 'string', default: path.join(here, 'out') },
  },
})
const bytes = Math.round(Number(values.gigabytes) * 1024 ** 3)
const dir = path.resolve(values.dir)
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })

// A file of incompressible bytes (a random 64 MB block, varied per block so no two blocks are equal).
const source = path.join(dir, 'source.bin')
const block = randomBytes(64 << 20)
const fd = openSync(source, 'w')
for (let written = 0, i = 0; written < bytes; i++) {
  block.writeUInt32LE(i, 0)
  const n = Math.min(block.length, bytes - written)
  writeSync(fd, block, 0, n)
  written += n
}
closeSync(fd)
execFileSync('sync')

const seconds = (fn: () => void) => {
  const t0 = performance.now()
  fn()
  return (performance.now() - t0) / 1000
}
const worker = path.join(here, 'artifacts-worker.ts')
function measured(op: 'put' | 'get', ...args: string[]): { seconds: number; maxRssMb: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', worker, op, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${op} failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop()!)
}

// Each measurement starts with the disk's write-back drained (sync) and is repeated; medians are shown.
const REPEATS = 3
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const copy = path.join(dir, 'cp.bin')
const store = path.join(dir, 'store')
const restored = path.join(dir, 'restored.bin')
const runs = {
  cp: [] as number[],
  cpSync: [] as number[],
  put: [] as number[],
  get: [] as number[],
  putRss: 0,
  getRss: 0,
}
for (let i = 0; i < REPEATS; i++) {
  execFileSync('sync')
  runs.cp.push(seconds(() => execFileSync('cp', [source, copy])))
  rmSync(copy)
  execFileSync('sync')
  runs.cpSync.push(
    seconds(() => {
      execFileSync('cp', [source, copy])
      execFileSync('sync', [copy])
    }),
  )
  rmSync(copy)
  rmSync(store, { recursive: true, force: true })
  execFileSync('sync')
  const put = measured('put', store, source)
  runs.put.push(put.seconds)
  runs.putRss = Math.max(runs.putRss, put.maxRssMb)
  rmSync(restored, { force: true })
  execFileSync('sync')
  const get = measured('get', store, source, restored)
  runs.get.push(get.seconds)
  runs.getRss = Math.max(runs.getRss, get.maxRssMb)
}
execFileSync('cmp', [source, restored])
const cp = median(runs.cp)
const cpSync = median(runs.cpSync)
const put = { seconds: median(runs.put), maxRssMb: runs.putRss }
const get = { seconds: median(runs.get), maxRssMb: runs.getRss }

const gb = bytes / 1024 ** 3
const row = (name: string, s: number, extra = '') =>
  console.log(
    `${name.padEnd(26)} ${s.toFixed(2).padStart(7)} s  ${(gb / s).toFixed(2).padStart(6)} GB/s  ${extra}`,
  )
console.log(`artifact store, ${gb.toFixed(2)} GB file, ${dir}, median of ${REPEATS} runs`)
row('cp', cp)
row('cp + fsync', cpSync)
row(
  'sluice put (hash+fsync)',
  put.seconds,
  `×${(cp / put.seconds).toFixed(2)} of cp, ×${(cpSync / put.seconds).toFixed(2)} of cp+fsync, peak RSS ${put.maxRssMb.toFixed(0)} MB`,
)
row(
  'sluice get (verified)',
  get.seconds,
  `×${(cp / get.seconds).toFixed(2)} of cp, ×${(cpSync / get.seconds).toFixed(2)} of cp+fsync, peak RSS ${get.maxRssMb.toFixed(0)} MB`,
)
const ok = put.maxRssMb < 150 && get.maxRssMb < 150
console.log(ok ? 'peak RSS under 150 MB' : 'peak RSS ABOVE 150 MB')
rmSync(dir, { recursive: true, force: true })
