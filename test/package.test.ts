import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT, tempDir } from './support/cli.js'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/**
 * Another project that installed sluice from a packed tarball (README: "Using sluice in your
 * project"): the package holds only what `npm pack` ships. Its dependencies are linked from this
 * repository's node_modules, as npm would have installed them from the registry.
 */
function projectWithPackedSluice(): string {
  const dir = tempDir('sluice-package-')
  dirs.push(dir)
  const modules = path.join(dir, 'project', 'node_modules')
  mkdirSync(path.join(modules, '.bin'), { recursive: true })
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
    }),
  ) as { filename: string }[]
  execFileSync('tar', ['-xzf', path.join(dir, packed!.filename), '-C', modules])
  renameSync(path.join(modules, 'package'), path.join(modules, 'sluice'))
  for (const dep of readdirSync(path.join(ROOT, 'node_modules'))) {
    if (dep !== '.bin' && dep !== 'sluice')
      symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(modules, dep))
  }
  const launcher = path.join(modules, 'sluice', 'bin', 'sluice.js')
  chmodSync(launcher, 0o755)
  symlinkSync(launcher, path.join(modules, '.bin', 'sluice'))
  writeFileSync(
    path.join(dir, 'project', 'package.json'),
    JSON.stringify({
      name: 'my-models',
      private: true,
      dependencies: { sluice: `file:../${packed!.filename}` },
    }),
  )
  return path.join(dir, 'project')
}

describe('sluice installed in another project from a packed tarball', () => {
  it('runs through npx: init, train and register, list, predict', () => {
    const project = projectWithPackedSluice()
    const rows = Array.from(
      { length: 400 },
      (_, i) => `${i % 97},${['a', 'b', 'c'][i % 3]},${(i % 97) + (i % 3) * 20 > 60 ? 1 : 0}`,
    )
    writeFileSync(path.join(project, 'train.csv'), `x,group,y\n${rows.join('\n')}\n`)
    const npx = (args: string[]) =>
      execFileSync('npx', ['--no-install', 'sluice', ...args], { cwd: project, encoding: 'utf8' })
    expect(npx(['--version']).trim()).toMatch(/^\d+\.\d+\.\d+/)
    npx(['init'])
    npx([
      'train',
      '--algo',
      'gbdt',
      '--data',
      'train.csv',
      '--target',
      'y',
      '--features',
      'x,group',
      '--out',
      'm.onnx',
      '--register',
      'm',
    ])
    npx(['predict', 'm@1', '--data', 'train.csv', '--out', 'predictions.csv'])
    const list = JSON.parse(npx(['models', 'list', '--json'])) as {
      items: { name: string; version: number }[]
    }
    expect(list.items.map((v) => `${v.name}@${v.version}`)).toEqual(['m@1'])
    expect(readFileSync(path.join(project, 'predictions.csv'), 'utf8').trim().split('\n')).toHaveLength(401)
  })
})
