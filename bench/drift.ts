// Drift engine speed and memory against pandas + SciPy, measured in the same run (issue: drift engine).
// For the synthetic data (1M + 1M rows × 20 numerical + 5 categorical columns) and the real flights
// (January–February 2001 vs June 2001) it prints:
//  - compute: sluice's tests on frames already in memory vs SciPy's on NumPy arrays (target ≥ 3×),
//    and whether every column got the same test and verdict;
//  - end to end, CSV files to JSON report: `sluice drift` vs pandas + SciPy (target ≥ 2×);
//  - sluice's peak resident memory vs 2 × the loaded columns + 100 MB.
// Needs /usr/bin/python3 with pandas and SciPy (Debian: apt-get install -y python3-pandas python3-scipy).
// Run: npm run bench:drift
import { execFileSync, spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Frame } from '../src/data/frame.js'
import { loadFrames } from '../src/data/load.js'
import { driftReport } from '../src/drift/report.js'
import { ensureDriftData } from './drift-data.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..')
const PYTHON = '/usr/bin/python3'

interface Baseline {
  load_s: number
  compute_s: number
  columns: Record<string, { stattest: string; score: number; drift_detected: boolean }>
}

function timed(cmd: string, args: string[]): { seconds: number; maxRssMb: number; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`)
  const [seconds, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number)
  return { seconds: seconds!, maxRssMb: kb! / 1024, stdout: r.stdout }
}

const loadedBytes = (f: Frame) =>
  f.columns.reduce(
    (s, c) => s + c.missing.byteLength + (c.kind === 'category' ? c.codes.byteLength : c.values.byteLength),
    0,
  )

async function run(name: string, refFile: string, curFile: string): Promise<boolean> {
  // pandas + SciPy: load and compute times from inside Python, end to end from outside.
  const py = timed(PYTHON, [path.join(here, 'drift_baseline.py'), refFile, curFile])
  const baseline = JSON.parse(py.stdout) as Baseline

  // sluice, compute only: frames in memory, the same default tests.
  const [ref, cur] = await loadFrames([refFile, curFile])
  const t0 = performance.now()
  const report = await driftReport(ref!.frame, cur!.frame)
  const compute = (performance.now() - t0) / 1000
  const mismatches = Object.entries(baseline.columns).filter(([col, b]) => {
    const c = report.columns[col]
    return (
      !c ||
      c.stattest !== b.stattest ||
      c.drift_detected !== b.drift_detected ||
      Math.abs(c.score! - b.score) > 1e-9 * Math.max(1, Math.abs(b.score))
    )
  })
  const loaded = (loadedBytes(ref!.frame) + loadedBytes(cur!.frame)) / 2 ** 20

  // sluice, end to end: the CLI from CSV files to the JSON report.
  const cli = timed(process.execPath, [
    path.join(root, 'bin', 'sluice.js'),
    'drift',
    '--reference',
    refFile,
    '--current',
    curFile,
    '--json',
  ])
  JSON.parse(cli.stdout)

  const computeRatio = baseline.compute_s / compute
  const e2eRatio = py.seconds / cli.seconds
  const memoryLimit = 2 * loaded + 100
  console.log(
    `\n${name}: ${ref!.frame.rows.toLocaleString()} + ${cur!.frame.rows.toLocaleString()} rows × ${ref!.frame.columns.length} columns`,
  )
  console.log(
    `  compute     sluice ${compute.toFixed(2)} s   SciPy ${baseline.compute_s.toFixed(2)} s   ×${computeRatio.toFixed(2)} (target ≥ 3)`,
  )
  console.log(
    `  verdicts    ${mismatches.length === 0 ? `identical for all ${Object.keys(baseline.columns).length} columns` : `DIFFER: ${mismatches.map(([c]) => c).join(', ')}`}`,
  )
  console.log(
    `  end to end  sluice ${cli.seconds.toFixed(2)} s   pandas + SciPy ${py.seconds.toFixed(2)} s (load ${baseline.load_s.toFixed(2)} s)   ×${e2eRatio.toFixed(2)} (target ≥ 2)`,
  )
  console.log(
    `  memory      sluice peak ${cli.maxRssMb.toFixed(0)} MB; loaded columns ${loaded.toFixed(0)} MB → limit ${memoryLimit.toFixed(0)} MB; pandas + SciPy peak ${py.maxRssMb.toFixed(0)} MB`,
  )
  return computeRatio >= 3 && e2eRatio >= 2 && mismatches.length === 0 && cli.maxRssMb <= memoryLimit
}

execFileSync(process.execPath, [path.join(root, 'bin', 'sluice.js'), '--version']) // the CLI must be built
const files = await ensureDriftData()
const ok = [
  await run('synthetic', files.syntheticReference, files.syntheticCurrent),
  await run('flights', files.flightsReference, files.flightsCurrent),
].every(Boolean)
console.log(ok ? '\nall targets met' : '\nSOME TARGETS MISSED')
