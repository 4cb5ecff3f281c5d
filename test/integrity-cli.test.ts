import { execFileSync, spawnSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logisticModel } from '../scripts/onnx-fixtures.mjs'
import { json, sluice, tempDir } from './support/cli.js'
import { type ServerProcess, spawnServer } from './support/server.js'

const dir = tempDir('sluice-integrity-')
const run = (...args: string[]) => sluice(args, { cwd: dir })
const servers: ServerProcess[] = []
afterAll(async () => {
  for (const s of servers) await s.stop()
})

const blobFile = (digest: string) => {
  const hex = digest.slice('sha256:'.length)
  return path.join(dir, '.sluice', 'artifacts', 'sha256', hex.slice(0, 2), hex)
}

/** Flips one bit in the middle of a file (a blob is read-only: made writable first), keeping its size. */
function flipByte(file: string): void {
  chmodSync(file, 0o644)
  const bytes = readFileSync(file)
  bytes[bytes.length >> 1]! ^= 1
  writeFileSync(file, bytes)
}

interface VerifyDoc {
  ok: boolean
  corrupt: { digest: string }[]
  serving_copies: { checked: number; corrupt: { path: string; digest: string; repaired: boolean }[] }
}
const verify = async (...args: string[]) => {
  const r = await run('artifacts', 'verify', '--json', ...args)
  return { code: r.code, doc: json<VerifyDoc>(r) }
}

beforeAll(() => {
  writeFileSync(
    path.join(dir, 'model.onnx'),
    logisticModel({ features: ['distance', 'hour'], weights: [0.001, 0.05], bias: -1 }),
  )
  writeFileSync(
    path.join(dir, 'other.onnx'),
    logisticModel({ features: ['distance', 'hour'], weights: [-0.002, 0.3], bias: 2 }),
  )
  writeFileSync(
    path.join(dir, 'train.csv'),
    'distance,hour,delayed\n100,7.5,0\n2000,18,1\n450,9,0\n300,6,0\n1200,21,1\n800,13,0\n',
  )
})

describe('re-adding the original bytes repairs a damaged blob', () => {
  it('data add and models register replace a blob whose bytes were flipped; verify passes again', async () => {
    const ds = json<{ digest: string }>(await run('data', 'add', 'train.csv', '--name', 'flights', '--json'))
    const v = json<{ artifact: { digest: string } }>(
      await run('models', 'register', 'm', '--artifact', 'model.onnx', '--flavor', 'onnx', '--json'),
    )
    flipByte(blobFile(ds.digest))
    flipByte(blobFile(v.artifact.digest))
    const before = await verify()
    expect(before.code).toBe(1)
    expect(before.doc.corrupt.map((c) => c.digest).sort()).toEqual([ds.digest, v.artifact.digest].sort())

    const again = json<{ version: number; created: boolean }>(
      await run('data', 'add', 'train.csv', '--name', 'flights', '--json'),
    )
    expect(again).toMatchObject({ version: 1, created: false })
    const r = await run('models', 'register', 'm', '--artifact', 'model.onnx', '--flavor', 'onnx')
    expect(r.code, r.stderr).toBe(0)
    const after = await verify()
    expect([after.code, after.doc.corrupt]).toEqual([0, []])
    // The repaired blobs are whole and read-only again.
    expect(readFileSync(blobFile(v.artifact.digest))).toEqual(readFileSync(path.join(dir, 'model.onnx')))
    expect(readFileSync(blobFile(ds.digest))).toEqual(readFileSync(path.join(dir, 'train.csv')))
  })

  it("uploads to a server repair the server's blobs the same way", async () => {
    const server = await spawnServer('server', dir)
    servers.push(server)
    const model = json<{ artifact: { digest: string } }>(await run('models', 'show', 'm@1', '--json'))
    const ds = json<{ digest: string }>(await run('data', 'show', 'flights@1', '--json'))
    flipByte(blobFile(model.artifact.digest))
    flipByte(blobFile(ds.digest))
    expect((await verify()).code).toBe(1)
    const remote = (...args: string[]) => run(...args, '--server', server.url)
    const up = await remote('models', 'register', 'm', '--artifact', 'model.onnx', '--flavor', 'onnx')
    expect(up.code, up.stderr).toBe(0)
    const data = await remote('data', 'add', 'train.csv', '--name', 'flights', '--json')
    expect(json(data)).toMatchObject({ created: false })
    expect((await verify()).code).toBe(0)
    await server.stop()
  })
})

describe('only regular files and folders are read as models, artifacts or data', () => {
  it('refuses a device or a pipe with the reason instead of reading it forever', async () => {
    const fifo = path.join(dir, 'pipe')
    execFileSync('mkfifo', [fifo])
    const cases = [
      ['models', 'register', 'x', '--artifact', '/dev/zero', '--flavor', 'onnx'],
      ['models', 'register', 'x', '--artifact', fifo, '--flavor', 'onnx'],
      ['data', 'add', '/dev/zero', '--name', 'zero'],
      ['data', 'add', fifo, '--name', 'zero'],
      ['predict', '/dev/zero', '--data', 'train.csv', '--out', 'p.csv'],
      ['evaluate', 'model.onnx', '--data', fifo, '--target', 'delayed'],
      ['drift', '--reference', '/dev/zero', '--current', 'train.csv'],
    ]
    for (const args of cases) {
      const r = await run(...args)
      expect([r.code, r.stderr], args.join(' ')).toEqual([
        2,
        expect.stringMatching(/ is not a regular file( or folder)? \(it is a (character device|pipe)\)/),
      ])
    }
    const remote = await run('data', 'add', fifo, '--name', 'zero', '--server', 'http://127.0.0.1:9')
    expect([remote.code, remote.stderr]).toEqual([2, expect.stringContaining('is not a regular file')])
    expect((await run('data', 'show', 'zero')).code).toBe(2)
  })

  it('follows a link to a regular file', async () => {
    symlinkSync(path.join(dir, 'other.onnx'), path.join(dir, 'link.onnx'))
    symlinkSync(path.join(dir, 'train.csv'), path.join(dir, 'link.csv'))
    const r = await run(
      'models',
      'register',
      'linked',
      '--artifact',
      'link.onnx',
      '--flavor',
      'onnx',
      '--json',
    )
    expect(r.code, r.stderr).toBe(0)
    expect(json<{ artifact: { size: number } }>(r).artifact.size).toBe(
      readFileSync(path.join(dir, 'other.onnx')).length,
    )
    const d = await run('data', 'add', 'link.csv', '--name', 'linked', '--json')
    expect(d.code, d.stderr).toBe(0)
  })
})

describe('upload spool files left by a crash', () => {
  const spool = path.join(dir, '.sluice', 'tmp')
  /** A pid that was alive a moment ago and is not any more. */
  const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!
  const name = (pid: number) => `upload-${os.hostname()}.${pid}.${'0123456789abcdef'}.csv`

  it('are removed by artifacts gc (not those of a live writer, nor recent ones without a writer)', async () => {
    mkdirSync(spool, { recursive: true })
    const dead = name(deadPid())
    const live = name(process.pid)
    const anonymous = 'upload-fedcba9876543210.csv' // written before names carried their writer
    const ancient = 'upload-aaaaaaaaaaaaaaaa.csv'
    for (const n of [dead, live, anonymous, ancient]) writeFileSync(path.join(spool, n), 'a,b\n1,2\n')
    const old = new Date(Date.now() - 25 * 3600_000)
    utimesSync(path.join(spool, ancient), old, old)

    const dry = json<{ spool_files: { name: string; reason: string }[] }>(
      await run('artifacts', 'gc', '--json'),
    )
    expect(dry.spool_files.map((f) => f.name).sort()).toEqual([ancient, dead].sort())
    expect(dry.spool_files.find((f) => f.name === dead)!.reason).toMatch(/its writer \(pid \d+\) is gone/)
    expect(readdirSync(spool)).toHaveLength(4)
    const human = await run('artifacts', 'gc', '--yes')
    expect(human.stdout).toContain(`deleted spool file ${dead}`)
    expect(readdirSync(spool).sort()).toEqual([anonymous, live].sort())
  })

  it('are removed when a server starts on the home, keeping those of a live server', async () => {
    const dead = name(deadPid())
    writeFileSync(path.join(spool, dead), 'a,b\n1,2\n')
    const server = await spawnServer('server', dir)
    servers.push(server)
    expect(existsSync(path.join(spool, dead))).toBe(false)
    expect(readdirSync(spool)).toContain(name(process.pid))
    // Its own uploads still spool and clean up after themselves.
    const r = await run('data', 'add', 'train.csv', '--name', 'spooled', '--server', server.url)
    expect(r.code, r.stderr).toBe(0)
    expect(readdirSync(spool).filter((n) => n.includes(`.${server.child.pid}.`))).toEqual([])
    await server.stop()
  })
})

describe("the server's own copies of models", () => {
  const predict = async (url: string) => {
    const r = await fetch(`${url}/v1/deployments/integrity/predict`, {
      method: 'POST',
      body: JSON.stringify({ instances: [{ distance: 1500, hour: 20 }] }),
    })
    const body = (await r.json()) as { predictions?: unknown; error?: string }
    return { status: r.status, predictions: body.predictions, error: body.error }
  }
  let copy: string
  let expected: unknown

  it('are checked at load: a copy changed on disk is replaced from the blob store, never run', async () => {
    const d = await run('deploy', 'm@1', '--deployment', 'integrity')
    expect(d.code, d.stderr).toBe(0)
    let server = await spawnServer('serve', dir)
    servers.push(server)
    expected = (await predict(server.url)).predictions
    expect(expected).toBeDefined()
    await server.stop()
    const digest = json<{ artifact: { digest: string } }>(await run('models', 'show', 'm@1', '--json'))
      .artifact.digest
    copy = path.join(dir, '.sluice', 'serving', digest.replace(':', '-'))
    // The worst case: another valid model in its place, which would answer with other numbers.
    writeFileSync(copy, readFileSync(path.join(dir, 'other.onnx')))

    const found = await verify()
    expect(found.code).toBe(1)
    expect(found.doc.serving_copies.corrupt).toEqual([
      { path: copy, digest, reason: expect.stringContaining('its bytes hash to sha256:'), repaired: false },
    ])
    expect((await run('artifacts', 'verify')).stdout).toContain(`CORRUPT serving copy ${copy}`)

    server = await spawnServer('serve', dir)
    servers.push(server)
    expect((await predict(server.url)).predictions).toEqual(expected)
    await server.stop()
    expect(server.log()).toContain('"msg":"serving copy corrupt, fetching it again"')
    expect((await verify()).code).toBe(0)
    expect(readFileSync(copy)).toEqual(readFileSync(path.join(dir, 'model.onnx')))
  })

  it('are replaced by artifacts verify --repair', async () => {
    writeFileSync(copy, readFileSync(path.join(dir, 'other.onnx')))
    const repaired = await verify('--repair')
    expect(repaired.code).toBe(0)
    expect(repaired.doc.serving_copies.corrupt).toEqual([
      expect.objectContaining({ path: copy, repaired: true }),
    ])
    expect(readFileSync(copy)).toEqual(readFileSync(path.join(dir, 'model.onnx')))
  })

  it('are refused when the blob behind them is damaged too, until the original bytes are added again', async () => {
    writeFileSync(copy, readFileSync(path.join(dir, 'other.onnx')))
    const digest = `sha256:${path.basename(copy).slice('sha256-'.length)}`
    flipByte(blobFile(digest))
    let server = await spawnServer('serve', dir)
    servers.push(server)
    const refused = await predict(server.url)
    expect(refused.status).toBe(503)
    expect(refused.error).toContain(`blob ${digest} is corrupt`)
    await server.stop()
    const r = await run('models', 'register', 'm', '--artifact', 'model.onnx', '--flavor', 'onnx')
    expect(r.code, r.stderr).toBe(0)
    server = await spawnServer('serve', dir)
    servers.push(server)
    expect((await predict(server.url)).predictions).toEqual(expected)
    await server.stop()
  })
})
