import { mkdirSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { sluice, tempDir } from './support/cli.js'
import { spawnServer } from './support/server.js'

// Inputs that once ended in `internal error` and a stack: each is now exit 2 and one sentence.

let dir: string
const run = (args: string[], env?: Record<string, string>) => sluice(args, { cwd: dir, ...(env && { env }) })

beforeAll(() => {
  dir = tempDir()
  writeFileSync(path.join(dir, 'a-file'), 'not a folder\n')
})

describe('a home that is a file', () => {
  it('--home naming a file is exit 2 saying so', async () => {
    const r = await run(['--home', 'a-file', 'models', 'list'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      `sluice: error: --home ${path.join(dir, 'a-file')} is a file, not a folder; point it at a folder, or at a path that does not exist yet (sluice creates it)\n`,
    )
  })

  it('a home inside a file, from SLUICE_HOME or home: in sluice.yaml, is named the same way', async () => {
    const env = await run(['init'], { SLUICE_HOME: path.join(dir, 'a-file', 'home') })
    expect(env.code).toBe(2)
    expect(env.stderr).toContain(
      `SLUICE_HOME ${path.join(dir, 'a-file', 'home')} is inside ${path.join(dir, 'a-file')}, which is a file, not a folder`,
    )
    const project = path.join(dir, 'project')
    mkdirSync(project)
    writeFileSync(path.join(project, 'sluice.yaml'), 'home: ../a-file\n')
    const yaml = await sluice(['init', '--json'], { cwd: project })
    expect(yaml.code).toBe(2)
    expect(JSON.parse(yaml.stdout).error).toEqual({
      code: 'INVALID_CONFIG',
      message: `${path.join(dir, 'a-file')} (home: in sluice.yaml) is a file, not a folder; point it at a folder, or at a path that does not exist yet (sluice creates it)`,
    })
  })
})

describe('hostile YAML and JSON', () => {
  const laughs = [
    'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]',
    ...'bcdef'.split('').map((l, i) => `${l}: &${l} [${Array(10).fill(`*${'abcdef'[i]}`).join(', ')}]`),
    `gates: [${Array(10).fill('*f').join(', ')}]`,
  ].join('\n')
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`
  const tooDeep = 'lists or objects nested more than 64 levels deep; sluice reads no deeper, so flatten them'

  it('a "billion laughs" sluice.yaml or rules file is exit 2 naming the file', async () => {
    const project = path.join(dir, 'laughs')
    mkdirSync(project)
    writeFileSync(path.join(project, 'sluice.yaml'), laughs)
    const r = await sluice(['models', 'list'], { cwd: project })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      'sluice: error: sluice.yaml: its aliases (*name) expand to too many values, as in a "billion laughs" document; write the repeated values out\n',
    )
    writeFileSync(path.join(dir, 'laughs.yaml'), laughs)
    writeFileSync(path.join(dir, 'eval.json'), '{}')
    const rules = await run(['gate', '--evaluation', 'eval.json', '--rules', 'laughs.yaml'])
    expect(rules.code).toBe(2)
    expect(rules.stderr).toContain(
      'sluice: error: laughs.yaml: its aliases (*name) expand to too many values',
    )
  })

  it('a million nested brackets in a JSON Lines file, an evaluation or a contract is exit 2, no stack', async () => {
    writeFileSync(path.join(dir, 'deep.jsonl'), `{"a": 1}\n{"a": 2, "b": ${deep(1_000_000)}}\n`)
    const data = await run(['data', 'add', 'deep.jsonl', '--name', 'deep'])
    expect(data.code).toBe(2)
    expect(data.stderr).toBe(`sluice: error: deep.jsonl:2: ${tooDeep}\n`)

    writeFileSync(
      path.join(dir, 'deep-eval.json'),
      `{"schema": "sluice.evaluation/v1", "metrics": {"x": ${deep(1_000_000)}}}`,
    )
    writeFileSync(path.join(dir, 'rules.yaml'), 'gates:\n  metrics:\n    accuracy: {threshold: 0.5}\n')
    const gate = await run(['gate', '--evaluation', 'deep-eval.json', '--rules', 'rules.yaml'])
    expect(gate.code).toBe(2)
    expect(gate.stderr).toBe(`sluice: error: deep-eval.json: ${tooDeep}\n`)

    writeFileSync(path.join(dir, 'data.csv'), 'a\n1\n')
    writeFileSync(path.join(dir, 'contract.yaml'), `columns: ${'['.repeat(100_000)}\n`)
    const contract = await run(['validate', 'data.csv', '--contract', 'contract.yaml'])
    expect(contract.code).toBe(2)
    expect(contract.stderr).toBe(`sluice: error: contract.yaml:1: ${tooDeep}\n`)
  })

  it('sluice server answers deep strategy files one after another with 400, and keeps running', async () => {
    // The YAML parser's stack overflow once aborted the whole server by the second such request.
    const server = await spawnServer('server', tempDir())
    try {
      for (let round = 0; round < 5; round++) {
        for (const n of [1000, 3000, 20_000]) {
          const r = await fetch(`${server.url}/api/v1/deployments/d/rollout`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'm@1', strategy_file: { name: 's.yaml', text: '['.repeat(n) } }),
          })
          expect({ status: r.status, body: await r.json() }).toEqual({
            status: 400,
            body: { error: { code: 'INVALID_CONFIG', message: `s.yaml:1: ${tooDeep}` } },
          })
        }
      }
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    } finally {
      await server.stop()
    }
  })
})

describe('a port already in use', () => {
  it('sluice server and sluice serve exit 2 naming the port, and do not hang', async () => {
    const holder = net.createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    const port = (holder.address() as net.AddressInfo).port
    try {
      for (const command of ['server', 'serve']) {
        const r = await run([command, '--port', String(port)])
        expect(r.code).toBe(2)
        expect(r.stderr).toBe(
          `sluice: error: port ${port} on 127.0.0.1 is already in use (by another sluice server?); choose another with --port or server.port\n`,
        )
      }
    } finally {
      holder.close()
    }
  })
})
