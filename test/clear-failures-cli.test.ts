import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { sluice, tempDir } from './support/cli.js'

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
