import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { logisticModel } from '../scripts/onnx-fixtures.mjs'
import { json, sluice, tempDir } from './support/cli.js'
import { spawnServer } from './support/server.js'

// `sluice tokens`, and how `sluice server` and `sluice serve` start, as users run them: the built
// CLI as child processes on one home.

const TOKEN = /^slc_[A-Za-z0-9_-]{43}$/

/** A home with model m@1 deployed as d. */
async function home(): Promise<string> {
  const dir = tempDir('sluice-tokens-cli-')
  writeFileSync(path.join(dir, 'm.onnx'), logisticModel({ features: ['distance'], weights: [0.01] }))
  expect(
    (await sluice(['models', 'register', 'm', '--artifact', 'm.onnx', '--flavor', 'onnx'], { cwd: dir }))
      .code,
  ).toBe(0)
  expect((await sluice(['deploy', 'm@1', '--deployment', 'd'], { cwd: dir })).code).toBe(0)
  return dir
}

/** The server's URL on 127.0.0.1 (one bound to 0.0.0.0 prints that address). */
const loopback = (url: string) => url.replace('0.0.0.0', '127.0.0.1')

describe('sluice tokens', () => {
  it('creates (first an admin), lists without secrets, and refuses to revoke the last admin', async () => {
    const dir = tempDir('sluice-tokens-cli-')
    const first = await sluice(['tokens', 'create', 'ci', '--scope', 'write'], { cwd: dir })
    expect(first.code).toBe(2)
    expect(first.stderr).toMatch(/the next token must have scope admin/)

    const root = await sluice(['tokens', 'create', 'root', '--scope', 'admin'], { cwd: dir })
    expect(root.code).toBe(0)
    // The secret alone on stdout (for `export SLUICE_TOKEN=$(…)`), the note on stderr.
    expect(root.stdout.trim()).toMatch(TOKEN)
    expect(root.stderr).toMatch(
      /^created token "root" \(slc_.{8}…, scope admin, no expiry\); the secret above is shown this once/,
    )
    const ci = json<{ token: string; expires_at: string; status: string }>(
      await sluice(['tokens', 'create', 'ci', '--scope', 'write', '--expires', '90d', '--json'], {
        cwd: dir,
      }),
    )
    expect(ci.token).toMatch(TOKEN)
    expect(ci.status).toBe('active')
    expect(Date.parse(ci.expires_at) - Date.now()).toBeGreaterThan(89 * 86_400_000)

    const list = await sluice(['tokens', 'list', '--json'], { cwd: dir })
    expect(list.stdout).not.toContain(root.stdout.trim())
    expect(list.stdout).not.toContain(ci.token.slice(12))
    expect(json<{ items: { name: string; scope: string; created_by: string }[] }>(list).items).toEqual([
      expect.objectContaining({ name: 'root', scope: 'admin', created_by: expect.stringMatching(/^local:/) }),
      expect.objectContaining({ name: 'ci', scope: 'write' }),
    ])
    const human = await sluice(['tokens', 'list'], { cwd: dir })
    expect(human.stdout).toMatch(/^NAME +SCOPE +ID +STATUS/)

    const last = await sluice(['tokens', 'revoke', 'root'], { cwd: dir })
    expect(last.code).toBe(2)
    expect(last.stderr).toMatch(/"root" is the last admin token that can be used/)
    expect((await sluice(['tokens', 'revoke', 'ci'], { cwd: dir })).stdout).toMatch(/^revoked token "ci"/)
    expect((await sluice(['tokens', 'create', 'x', '--scope', 'root'], { cwd: dir })).code).toBe(2)
    expect(
      (await sluice(['tokens', 'create', 'x', '--scope', 'read', '--expires', 'soon'], { cwd: dir })).stderr,
    ).toMatch(/expires must be a duration such as/)
  })
})

describe('sluice server and sluice serve start-up', () => {
  it('server on a non-loopback address refuses to start without tokens, naming the fixes', async () => {
    const dir = tempDir('sluice-tokens-cli-')
    const r = await sluice(['server', '--host', '0.0.0.0', '--port', '0'], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /^sluice: error: sluice server on 0\.0\.0\.0 \(not a loopback address\) needs API tokens.*--insecure-no-auth/,
    )
  })

  it('server with --insecure-no-auth starts there and warns; with a token it needs it, over --server too', async () => {
    const dir = await home()
    const insecure = await spawnServer('server', dir, ['--host', '0.0.0.0', '--insecure-no-auth'])
    try {
      const url = loopback(insecure.url)
      expect((await fetch(`${url}/api/v1/deployments`)).status).toBe(200)
      expect(insecure.log()).toMatch(
        /"level":"warn","msg":"INSECURE: no API token exists and --insecure-no-auth is given/,
      )
    } finally {
      await insecure.stop()
    }

    const admin = (await sluice(['tokens', 'create', 'root', '--scope', 'admin'], { cwd: dir })).stdout.trim()
    const reader = (
      await sluice(['tokens', 'create', 'reader', '--scope', 'read'], { cwd: dir })
    ).stdout.trim()
    const server = await spawnServer('server', dir, ['--host', '0.0.0.0'])
    try {
      const url = loopback(server.url)
      const list = (env: Record<string, string>) =>
        sluice(['--server', url, 'deployments', 'list', '--json'], { cwd: tempDir(), env })
      const none = await list({})
      expect(none.code).toBe(2)
      expect(json<{ error: { code: string } }>(none).error.code).toBe('UNAUTHENTICATED')
      expect(json<{ items: unknown[] }>(await list({ SLUICE_TOKEN: reader })).items).toHaveLength(1)
      // Tokens over REST need an admin token.
      const remote = (token: string, ...args: string[]) =>
        sluice(['--server', url, 'tokens', ...args], { cwd: tempDir(), env: { SLUICE_TOKEN: token } })
      const weak = await remote(reader, 'create', 'ci', '--scope', 'deploy')
      expect(weak.code).toBe(2)
      expect(weak.stderr).toMatch(/token "reader" has scope read; this request needs admin/)
      const ci = await remote(admin, 'create', 'ci', '--scope', 'deploy')
      expect(ci.stdout.trim()).toMatch(TOKEN)
      const listed = json<{ items: { name: string; created_by: string }[] }>(
        await remote(admin, 'list', '--json'),
      )
      expect(listed.items.find((t) => t.name === 'ci')?.created_by).toBe('token:root')
      const deployed = await sluice(['--server', url, 'deploy', 'm@1', '--deployment', 'd2', '--json'], {
        cwd: tempDir(),
        env: { SLUICE_TOKEN: ci.stdout.trim() },
      })
      expect(deployed.code).toBe(0)

      // Revoked on the home by another process: the running server refuses it within its poll.
      expect((await sluice(['tokens', 'revoke', 'reader'], { cwd: dir })).code).toBe(0)
      let status = 0
      for (let i = 0; i < 100 && status !== 401; i++) {
        status = (
          await fetch(`${url}/api/v1/deployments`, { headers: { authorization: `Bearer ${reader}` } })
        ).status
        if (status !== 401) await new Promise((r) => setTimeout(r, 50))
      }
      expect(status).toBe(401)
    } finally {
      await server.stop()
    }
  })

  it('serve starts anywhere and says once that serving.auth is none; with token it wants one on inference', async () => {
    const dir = await home()
    const open = await spawnServer('serve', dir, ['--host', '0.0.0.0'])
    try {
      const url = loopback(open.url)
      const r = await fetch(`${url}/v1/deployments/d/predict`, {
        method: 'POST',
        body: JSON.stringify({ instances: [{ distance: 3 }] }),
      })
      expect(r.status).toBe(200)
      expect(
        open
          .log()
          .match(/serving\.auth is none: anyone who reaches 0\.0\.0\.0 can call the deployed models/g),
      ).toHaveLength(1)
    } finally {
      await open.stop()
    }

    writeFileSync(path.join(dir, 'sluice.yaml'), 'serving:\n  auth: token\n')
    await sluice(['tokens', 'create', 'root', '--scope', 'admin'], { cwd: dir })
    const app = (await sluice(['tokens', 'create', 'app', '--scope', 'infer'], { cwd: dir })).stdout.trim()
    const closed = await spawnServer('serve', dir)
    try {
      const predict = (headers: Record<string, string>) =>
        fetch(`${closed.url}/v1/deployments/d/predict`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ instances: [{ distance: 3 }] }),
        })
      const refused = await predict({})
      expect(refused.status).toBe(401)
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="sluice"')
      expect((await predict({ authorization: `Bearer ${app}` })).status).toBe(200)
      expect(closed.log()).not.toMatch(/serving\.auth is none/)
      const metrics = await (
        await fetch(`${closed.url}/metrics`, { headers: { authorization: `Bearer ${app}` } })
      ).text()
      expect(metrics).toContain('sluice_auth_failures_total{reason="missing"} 1')
    } finally {
      await closed.stop()
    }
  })
})
