import { spawn, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT, tempDir } from './support/cli.js'

/** The README's quickstart: the first `sh` block under "## Quickstart". */
function quickstart(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('\n## Quickstart\n'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)
  if (!block) throw new Error('README.md has no ```sh block under ## Quickstart')
  return block[1]!
}

/**
 * A fresh clone as a new user has it after `npm ci`: the package's launcher, build and
 * dependencies linked from this repository, and the examples copied (the quickstart runs the
 * example pipeline, which writes into its folder). The first `npx sluice` in a clone installs the
 * clone into npm's npx cache and runs its `prepare` script (the build); the copied manifest has
 * none, so the build `npm test` just made is used rather than rebuilt under the other tests.
 */
function clone(): string {
  const dir = tempDir('sluice-quickstart-')
  for (const entry of ['bin', 'dist', 'node_modules'])
    symlinkSync(path.join(ROOT, entry), path.join(dir, entry))
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  delete manifest.scripts.prepare
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2))
  mkdirSync(path.join(dir, 'examples'))
  cpSync(path.join(ROOT, 'examples', 'flights-delay'), path.join(dir, 'examples', 'flights-delay'), {
    recursive: true,
    filter: (src) => !/[/\\](\.sluice|data|models|reports)$/.test(src),
  })
  return dir
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

let dir: string | undefined
afterAll(() => {
  if (!dir) return
  // A server the quickstart started and failed to stop would outlive the test: its command line
  // names the clone's folder (npx runs it from the clone's npm cache).
  spawnSync('pkill', ['-f', dir])
  rmSync(dir, { recursive: true, force: true })
})

describe('the README quickstart', () => {
  it('runs top to bottom in a fresh clone, every command succeeding', async () => {
    dir = clone()
    // The quickstart serves on sluice's default port; the test moves it to a free one.
    const script = quickstart().replaceAll('8321', String(await freePort()))
    writeFileSync(path.join(dir, 'quickstart.sh'), script)
    const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      // As pasted into a terminal: `script` gives bash a terminal, so it has job control like an
      // interactive shell (`kill %1` stops the server's whole process group: npx, the shell npx
      // starts and the node process). npm's cache is the clone's own: npx links the clone there,
      // as on a new machine.
      const env = { ...process.env, npm_config_cache: path.join(dir!, '.npm') }
      const child = spawn('script', ['-qec', 'bash -meuo pipefail quickstart.sh', '/dev/null'], {
        cwd: dir,
        env,
      })
      let output = ''
      child.stdout.on('data', (d) => (output += d))
      child.stderr.on('data', (d) => (output += d))
      child.on('error', reject)
      child.on('exit', (code) => resolve({ code, output }))
    })
    // A terminal's output: progress lines and colours carry escape sequences.
    const output = result.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    expect(result.code, output.slice(-4000)).toBe(0)
    // What the steps promise: the server answered, the rollback moved traffic back, the unchanged
    // pipeline's second run took every stage from the cache, and the champion was reproduced.
    expect(output).toMatch(/"model_name":"delays","model_version":"2".*"predictions":\[\{"label":/)
    expect(output).toContain('rolled back: delays@1 → delays@2 (version 1 marked rejected)')
    expect(output).toMatch(/succeeded in [\d.]+ s \(6 cached\)/)
    expect(output).toMatch(/reproduced flight-delay@1: models\/flight-delay.onnx is byte-identical/)
  }, 600_000)
})
