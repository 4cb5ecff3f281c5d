import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { json, ROOT, sluice, tempDir } from './support/cli.js'

const EXAMPLE = path.join(ROOT, 'examples', 'flights-delay')

/**
 * A copy of examples/flights-delay, its files unchanged, in a folder laid out like the repository
 * (`../../node_modules/vega-datasets` holds the flights, `sluice` resolves for prepare.mjs), so the
 * example's own state and outputs are left alone.
 */
function exampleCopy(): string {
  const root = tempDir('sluice-example-')
  mkdirSync(path.join(root, 'node_modules'))
  symlinkSync(
    path.join(ROOT, 'node_modules', 'vega-datasets'),
    path.join(root, 'node_modules', 'vega-datasets'),
  )
  symlinkSync(ROOT, path.join(root, 'node_modules', 'sluice'))
  const dir = path.join(root, 'examples', 'flights-delay')
  mkdirSync(dir, { recursive: true })
  for (const f of ['sluice.yaml', 'params.yaml', 'contract.yaml', 'prepare.mjs'])
    copyFileSync(path.join(EXAMPLE, f), path.join(dir, f))
  return dir
}

interface RunDoc {
  status: string
  stages: { name: string; status: string }[]
}

describe('examples/flights-delay', () => {
  it('runs its six stages, then takes every one of them from the cache, the gate and register included', {
    timeout: 600_000,
  }, async () => {
    const dir = exampleCopy()
    const run = async () => {
      const r = await sluice(['run', '--json'], { cwd: dir })
      expect(r.code, r.stderr).toBe(0)
      return json<RunDoc>(r).stages.map((s) => `${s.name}:${s.status}`)
    }
    const stages = ['prepare', 'validate', 'train', 'evaluate', 'gate', 'register']
    expect(await run()).toEqual(stages.map((s) => `${s}:ran`))
    expect(await run()).toEqual(stages.map((s) => `${s}:cached`))
    const versions = json<{ items: { version: number; aliases: string[] }[] }>(
      await sluice(['models', 'list', '--name', 'flight-delay', '--json'], { cwd: dir }),
    ).items
    expect(versions.map((v) => [v.version, v.aliases])).toEqual([[1, ['champion']]])
  })
})
