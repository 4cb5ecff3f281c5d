import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.js'
import type { SluiceError } from './errors.js'

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'sluice-config-'))

function configError(yaml: string): SluiceError {
  const dir = tmp()
  writeFileSync(path.join(dir, 'sluice.yaml'), yaml)
  try {
    loadConfig({ cwd: dir, env: {} })
  } catch (e) {
    return e as SluiceError
  }
  throw new Error('expected the config to be rejected')
}

describe('loadConfig', () => {
  it('needs no file: defaults put everything under ./.sluice', () => {
    const dir = tmp()
    const c = loadConfig({ cwd: dir, env: {} })
    expect(c.file).toBeNull()
    expect(c.home).toBe(path.join(dir, '.sluice'))
    expect(c.store).toEqual({ backend: 'sqlite', path: path.join(dir, '.sluice', 'sluice.db') })
    expect(c.artifacts).toEqual({ backend: 'fs', path: path.join(dir, '.sluice', 'artifacts') })
    expect(c.server).toEqual({
      host: '127.0.0.1',
      port: 8321,
      maxJsonBytes: 2 ** 20,
      maxUploadBytes: 16 * 2 ** 30,
      idleTimeoutMs: 60_000,
      headersTimeoutMs: 60_000,
      bodyTimeoutMs: 60_000,
      maxUploads: 4,
      allowedHosts: [],
    })
    expect(c.api).toEqual({ corsOrigins: [] })
    expect(c.serving).toEqual({
      maxBodyBytes: 8 << 20,
      timeoutMs: 30_000,
      maxInFlight: 512,
      streamCapacity: 10_000,
      kernel: true,
      strictDatatypes: false,
      auth: 'none',
    })
  })

  it('reads the model server limits, and names a timeout that is not a duration', () => {
    const dir = tmp()
    writeFileSync(
      path.join(dir, 'sluice.yaml'),
      'serving:\n  max_body_mb: 0.5\n  timeout: 250ms\n  max_in_flight: 64\n  kernel: false\n  strict_datatypes: true\n  auth: token\n',
    )
    expect(loadConfig({ cwd: dir, env: {} }).serving).toEqual({
      maxBodyBytes: 524_288,
      timeoutMs: 250,
      maxInFlight: 64,
      streamCapacity: 10_000,
      kernel: false,
      strictDatatypes: true,
      auth: 'token',
    })
    expect(configError('serving:\n  auth: basic\n').message).toBe(
      'sluice.yaml:2: serving.auth: expected one of "none", "token", got "basic"',
    )
    expect(configError('serving:\n  timeout: soon\n').message).toMatch(
      /^sluice\.yaml:2: serving\.timeout: a duration such as 500ms or 30s, 15m, 2h or 7d/,
    )
  })

  it("reads the REST server's body limits and client timeouts, and names a bad one", () => {
    const dir = tmp()
    writeFileSync(
      path.join(dir, 'sluice.yaml'),
      'server:\n  max_json_mb: 0.25\n  max_upload_gb: 2\n  idle_timeout: 300ms\n  headers_timeout: 5s\n  body_timeout: 2s\n  max_uploads: 2\n',
    )
    expect(loadConfig({ cwd: dir, env: {} }).server).toEqual({
      host: '127.0.0.1',
      port: 8321,
      maxJsonBytes: 262_144,
      maxUploadBytes: 2 * 2 ** 30,
      idleTimeoutMs: 300,
      headersTimeoutMs: 5000,
      bodyTimeoutMs: 2000,
      maxUploads: 2,
      allowedHosts: [],
    })
    expect(configError('server:\n  body_timeout: never\n').message).toMatch(
      /^sluice\.yaml:2: server\.body_timeout: a duration such as 500ms/,
    )
    expect(configError('server:\n  max_uploads: 0\n').message).toMatch(
      /^sluice\.yaml:2: server\.max_uploads: /,
    )
    expect(configError('server:\n  idle_timeout: 0s\n').message).toMatch(
      /^sluice\.yaml:2: server\.idle_timeout: a duration such as 500ms/,
    )
    expect(configError('server:\n  max_json_mb: 0\n').message).toMatch(
      /^sluice\.yaml:2: server\.max_json_mb: /,
    )
  })

  it('reads the host names and web origins a server answers, and names an origin that is not one', () => {
    const dir = tmp()
    writeFileSync(
      path.join(dir, 'sluice.yaml'),
      'server:\n  allowed_hosts: [Sluice.Example.com]\napi:\n  cors_origins: ["https://Dash.example.com/", "http://localhost:3000"]\n',
    )
    const c = loadConfig({ cwd: dir, env: {} })
    expect(c.server.allowedHosts).toEqual(['sluice.example.com'])
    expect(c.api.corsOrigins).toEqual(['https://dash.example.com', 'http://localhost:3000'])
    for (const bad of ['dash.example.com', 'https://dash.example.com/app', 'ftp://x.example', '*'])
      expect(configError(`api:\n  cors_origins: ["${bad}"]\n`).message, bad).toBe(
        `sluice.yaml:2: api.cors_origins.0: an origin such as https://dash.example.com (scheme, host and port only), got "${bad}"`,
      )
  })

  it('takes the home from --home, then SLUICE_HOME, then sluice.yaml', () => {
    const dir = tmp()
    writeFileSync(path.join(dir, 'sluice.yaml'), 'home: state\n')
    expect(loadConfig({ cwd: dir, env: {} }).home).toBe(path.join(dir, 'state'))
    expect(loadConfig({ cwd: dir, env: { SLUICE_HOME: '/tmp/h1' } }).home).toBe('/tmp/h1')
    expect(loadConfig({ cwd: dir, home: 'flag', env: { SLUICE_HOME: '/tmp/h1' } }).home).toBe(
      path.join(dir, 'flag'),
    )
  })

  it('names an unknown key, the keys it expected and the line', () => {
    const e = configError('server:\n  port: 9000\nstor:\n  backend: sqlite\n')
    expect(e.code).toBe('INVALID_CONFIG')
    expect(e.message).toBe(
      'sluice.yaml:3: unknown key "stor"; expected one of: home, store, artifacts, server, api, serving, stages, gates',
    )
  })

  it('names a nested unknown key with its path and line', () => {
    const e = configError('store:\n  backend: sqlite\n  pth: x.db\n')
    expect(e.message).toContain('sluice.yaml:3: unknown key "store.pth"; expected one of: backend, path')
  })

  it('names a wrong value, what was expected and what was found', () => {
    const e = configError('store:\n  backend: mysql\n')
    expect(e.message).toBe('sluice.yaml:2: store.backend: expected "sqlite", got "mysql"')
    const p = configError('server:\n  port: "high"\n')
    expect(p.message).toBe('sluice.yaml:2: server.port: expected number, got "high"')
    const r = configError('server:\n  port: 70000\n')
    expect(r.message).toMatch(/^sluice\.yaml:2: server\.port: .*65535.*, got 70000$/)
  })

  it('reports YAML syntax errors with a line', () => {
    const e = configError('store:\n  backend: [sqlite\n')
    expect(e.code).toBe('INVALID_CONFIG')
    expect(e.message).toMatch(/^sluice\.yaml:\d+: not valid YAML/)
  })

  it('refuses a --config path that does not exist', () => {
    expect(() => loadConfig({ cwd: tmp(), configFile: 'nope.yaml', env: {} })).toThrow(/does not exist/)
  })
})
