import { spawn } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN, json, sluice, tempDir } from './support/cli.js'

const dir = tempDir('sluice-serve-')
const run = (...args: string[]) => sluice(args, { cwd: dir })
const servers: ReturnType<typeof spawn>[] = []
afterAll(() => {
  for (const s of servers) s.kill('SIGTERM')
})

/** Starts `sluice serve|server` on a free port in `cwd` and resolves with its URL (stopped after all tests). */
async function startServer(command: 'serve' | 'server', cwd: string): Promise<string> {
  const child = spawn(process.execPath, [BIN, command, '--port', '0', '--json'], {
    cwd,
  })
  servers.push(child)
  return new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => resolve(JSON.parse(b.toString()).url))
    child.on('exit', (code) => reject(new Error(`${command} exited ${code}`)))
  })
}

describe('sluice deploy, deployments, serve', () => {
  it('deploys, serves, and switches versions when another process deploys', async () => {
    const rows = Array.from(
      { length: 300 },
      (_, i) => `${(i * 37) % 1000},${['SFO', 'ORD'][i % 2]},${(i * 37) % 1000 > 500 ? 1 : 0}`,
    )
    writeFileSync(path.join(dir, 'train.csv'), `distance,origin,delayed\n${rows.join('\n')}\n`)
    for (const seed of ['1', '2']) {
      const args = ['train', '--algo', 'logistic', '--data', 'train.csv', '--target', 'delayed']
      const r = await run(
        ...args,
        '--features',
        'distance,origin',
        '--seed',
        seed,
        '--param',
        `C=${seed}`,
        '--out',
        `m${seed}.onnx`,
        '--register',
        'delay',
      )
      expect(r.code).toBe(0)
    }
    await run('models', 'alias', 'delay', 'champion', '1')
    const d = json<{ schema: string; name: string; version: number; alias: string }>(
      await run('deploy', 'delay@champion', '--deployment', 'flights', '--json'),
    )
    expect(d).toMatchObject({
      schema: 'sluice.deployment/v1',
      name: 'flights',
      version: 1,
      alias: 'champion',
    })

    const url = await startServer('serve', dir)
    const predict = async () => {
      const r = await fetch(`${url}/v1/deployments/flights/predict`, {
        method: 'POST',
        body: JSON.stringify({ instances: [{ distance: 800, origin: 'SFO' }] }),
      })
      expect(r.status).toBe(200)
      return r.headers.get('x-model-version')
    }
    expect(await predict()).toBe('1')
    // `sluice serve` is serving alone: no REST API, and its 404 does not send clients to /openapi.json.
    expect((await fetch(`${url}/api/v1/models`)).status).toBe(404)
    const openapi = await fetch(`${url}/openapi.json`)
    expect({ status: openapi.status, body: await openapi.json() }).toEqual({
      status: 404,
      body: {
        error: {
          code: 'NOT_FOUND',
          message:
            'no route for GET /openapi.json; this is sluice serve, which answers the model-serving routes only (/v2/…, /v1/deployments/{name}/predict, /metrics): the REST API is served by sluice server',
        },
      },
    })

    const t0 = Date.now()
    expect((await run('deploy', 'delay@2', '--deployment', 'flights')).stdout).toBe(
      'deployment flights → delay@2, was delay@1\n',
    )
    const deployedAt = Date.now()
    while ((await predict()) !== '2') {
      if (Date.now() - t0 > 5000) throw new Error('the server never switched to version 2')
      await new Promise((r) => setTimeout(r, 25))
    }
    expect(Date.now() - deployedAt).toBeLessThan(1500)

    const list = json<{ items: { name: string; version: number }[] }>(
      await run('deployments', 'list', '--json'),
    )
    expect(list.items).toEqual([expect.objectContaining({ name: 'flights', version: 2 })])
    const show = json<{
      history: { version: number; previous_version: number | null; alias: string | null }[]
    }>(await run('deployments', 'show', 'flights', '--json'))
    expect(show.history.map((h) => [h.version, h.previous_version, h.alias])).toEqual([
      [2, 1, null],
      [1, null, 'champion'],
    ])
  })

  it('refuses a model that does not load, an unknown version, and an unknown deployment', async () => {
    // A model file corrupted in the artifact store after it was registered.
    const trained = await run(
      'train',
      '--algo',
      'logistic',
      '--data',
      'train.csv',
      '--target',
      'delayed',
      '--features',
      'distance',
      '--out',
      'm3.onnx',
    )
    expect(trained.code).toBe(0)
    const v3 = json<{ artifact: { digest: string } }>(
      await run('models', 'register', 'delay', '--artifact', 'm3.onnx', '--flavor', 'onnx', '--json'),
    )
    const hex = v3.artifact.digest.slice(7)
    const blob = path.join(dir, '.sluice', 'artifacts', 'sha256', hex.slice(0, 2), hex)
    chmodSync(blob, 0o644)
    writeFileSync(blob, 'tampered')
    const bad = await run('deploy', 'delay@3', '--deployment', 'flights')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(
      /delay@3 cannot be deployed: it does not load \(blob sha256:\w+ is corrupt.*deployment "flights" is unchanged/,
    )
    expect(json<{ version: number }>(await run('deployments', 'show', 'flights', '--json')).version).toBe(2)
    expect((await run('deploy', 'delay@9', '--deployment', 'flights')).code).toBe(2)
    const missing = await run('deployments', 'show', 'nope')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('deployment "nope" not found')
  })

  it('serve NAME@REF refuses, before listening, a version that is unknown or does not load', async () => {
    const corrupt = await run('serve', 'delay@3', '--port', '0')
    expect(corrupt.code).toBe(2)
    expect(corrupt.stderr).toMatch(
      /delay@3 cannot be deployed: it does not load \(blob sha256:\w+ is corrupt/,
    )
    const unknown = await run('serve', 'delay@9', '--deployment', 'flights', '--port', '0')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/model "delay" has no version 9/)
    const both = await run('serve', 'delay@1', '--model', 'm1.onnx', '--deployment', 'flights')
    expect(both.stderr).toBe(
      'sluice: error: serve either a registered version (delay@1) or a file (--model / SLUICE_MODEL_URI), not both\n',
    )
    const port = await sluice(['serve', 'delay@1'], { cwd: dir, env: { SLUICE_PORT: 'http' } })
    expect(port.code).toBe(2)
    expect(port.stderr).toBe(
      'sluice: error: SLUICE_PORT must be a whole number from 0 to 65535, got "http"\n',
    )
    expect(json<{ version: number }>(await run('deployments', 'show', 'flights', '--json')).version).toBe(2)
  })

  it('deploys through a running server (--server), which applies the limits in sluice.yaml', async () => {
    const project = tempDir('sluice-server-limits-')
    writeFileSync(
      path.join(project, 'sluice.yaml'),
      `home: ${JSON.stringify(path.join(dir, '.sluice'))}\nserving:\n  max_body_mb: 0.01\n  timeout: 5s\n`,
    )
    const url = await startServer('server', project)
    const viaServer = (...args: string[]) =>
      sluice([...args, '--server', url], { cwd: tempDir('sluice-elsewhere-') })
    const doc = json<{ name: string; version: number; batching: unknown }>(
      await viaServer('deploy', 'delay@1', '--deployment', 'web', '--batch-size', '16', '--json'),
    )
    expect(doc).toMatchObject({ name: 'web', version: 1, batching: { max_rows: 16, max_wait_ms: 2 } })
    const listed = json<{ items: { name: string }[] }>(await viaServer('deployments', 'list', '--json'))
    expect(listed.items.map((d) => d.name)).toContain('web')
    const shown = json<{ history: { version: number }[] }>(
      await viaServer('deployments', 'show', 'web', '--json'),
    )
    expect(shown.history.map((h) => h.version)).toEqual([1])
    const refused = await viaServer('deploy', 'delay@3', '--deployment', 'web')
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/delay@3 cannot be deployed: it does not load/)

    const infer = (values: number) =>
      fetch(`${url}/v1/deployments/web/predict`, {
        method: 'POST',
        body: JSON.stringify({
          instances: Array.from({ length: values }, () => ({ distance: 800, origin: 'SFO' })),
        }),
      })
    let answered = await infer(1)
    for (let t0 = Date.now(); answered.status === 404 && Date.now() - t0 < 5000; answered = await infer(1))
      await new Promise((r) => setTimeout(r, 50))
    expect(answered.status).toBe(200)
    // max_body_mb: 0.01 is 10,485 bytes; 400 instances are about 14 KB.
    expect((await infer(400)).status).toBe(413)
  })
})
