import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logisticModel } from '../scripts/onnx-fixtures.mjs'
import { BIN, type CliResult, tempDir } from './support/cli.js'

// A real full disk, not a mock: the server runs in a mount namespace of its own (`unshare -m`)
// on an 8 MB tmpfs mounted over an empty folder, so the kernel answers its writes with ENOSPC
// and SQLite with SQLITE_FULL. The CLI joins that namespace (`nsenter`) to use the same home.
// Nothing is mounted where the rest of the machine can see it, and the tmpfs goes away with the
// server. This needs root (as the developers' machines and CI run).

let dir: string
let home: string
let server: ChildProcess
let url: string

function inNamespace(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['-t', String(server.pid), '-m', ...args], { cwd: dir })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}
const cli = (...args: string[]) => inNamespace([process.execPath, BIN, '--home', home, ...args])
/** Fills the tmpfs to the last byte (dd stops at ENOSPC); undone by `free`. */
const fill = () => inNamespace(['dd', 'if=/dev/zero', `of=${path.join(dir, 'filler')}`, 'bs=64k'])
const free = () => inNamespace(['rm', '-f', path.join(dir, 'filler')])

beforeAll(async () => {
  dir = tempDir()
  home = path.join(dir, 'home')
  const model = path.join(tempDir(), 'model.onnx')
  writeFileSync(model, logisticModel({ features: ['x'], weights: [0.1] }))
  const script = `mount -t tmpfs -o size=8m tmpfs "$1" && cp "$2" "$1/model.onnx" && exec "$3" "$4" --home "$1/home" server --port 0 --json`
  server = spawn(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', dir, model, process.execPath, BIN],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let errors = ''
  server.stderr!.on('data', (d) => (errors += d))
  url = await new Promise<string>((resolve, reject) => {
    let out = ''
    server.stdout!.on('data', (d) => {
      out += d
      if (out.includes('\n')) resolve(JSON.parse(out).url)
    })
    server.on('exit', (code) => reject(new Error(`the server exited (${code}): ${errors}`)))
  })
  const registered = await cli(
    'models',
    'register',
    'm',
    '--artifact',
    path.join(dir, 'model.onnx'),
    '--flavor',
    'onnx',
  )
  expect(registered.code, registered.stderr).toBe(0)
})
afterAll(() => {
  server?.kill()
})

describe('a full disk', () => {
  it('an upload larger than the free space is 507 naming the artifact store, and leaves no temp file', async () => {
    const r = await fetch(`${url}/api/v1/artifacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(16 << 20, 1),
    })
    expect(r.status).toBe(507)
    expect(await r.json()).toEqual({
      error: {
        code: 'DISK_FULL',
        message: `the disk holding the artifact store ${path.join(home, 'artifacts')} is full; free space on it and try again`,
      },
    })
    const temps = await inNamespace(['ls', '-A', path.join(home, 'artifacts', 'tmp')])
    expect(temps.stdout).toBe('')
  })

  it('a metadata write is DISK_FULL naming the database — the CLI exits 2, the API answers 507 — and nothing is half-written', async () => {
    await fill()
    const message = `the disk holding the metadata store ${path.join(home, 'sluice.db')} is full; free space on it and try again`
    try {
      // Once "cannot rollback - no transaction is active", with a stack: SQLite had already rolled
      // the transaction back, and the ROLLBACK that followed hid the reason.
      const alias = await cli('models', 'alias', 'm', 'champion', '1')
      expect(alias.stderr).toBe(`sluice: error: ${message}\n`)
      expect(alias.code).toBe(2)
      const deploy = await cli('deploy', 'm@1', '--deployment', 'd', '--json')
      expect(deploy.code).toBe(2)
      expect(JSON.parse(deploy.stdout).error).toEqual({ code: 'DISK_FULL', message })
      const put = await fetch(`${url}/api/v1/models/m/aliases/champion`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ version: 1 }),
      })
      expect(put.status).toBe(507)
      expect(await put.json()).toEqual({ error: { code: 'DISK_FULL', message } })
    } finally {
      await free()
    }
    const aliases = await (await fetch(`${url}/api/v1/models/m/versions/1`)).json()
    expect(aliases).toMatchObject({ version: 1, aliases: [] })
    // With room again, the same command works, against the same server and database.
    expect((await cli('models', 'alias', 'm', 'champion', '1')).code).toBe(0)
    expect(await (await fetch(`${url}/api/v1/models/m/versions/champion`)).json()).toMatchObject({
      version: 1,
    })
  })
})
