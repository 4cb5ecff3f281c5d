import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { loadConfig } from '../core/config.js'
import { SluiceError } from '../core/errors.js'
import type { CiFacts } from './ci-plan.js'
import type { Pipeline } from './spec.js'

/**
 * Reads what `sluice ci github` decides from: the repository root (the folder holding `.git`; the
 * project folder itself when there is none), the nearest package.json between the project and that
 * root, and the home as a CI job resolves it — from sluice.yaml alone, since a CI job has no
 * --home and no SLUICE_HOME.
 */
export function readCiFacts(pipeline: Pipeline, cwd: string = process.cwd()): CiFacts {
  const git = upFrom(pipeline.root, null, (dir) => existsSync(path.join(dir, '.git')))
  const repoRoot = git ?? pipeline.root
  const packageDir = upFrom(pipeline.root, repoRoot, (dir) => existsSync(path.join(dir, 'package.json')))
  const config = loadConfig({ cwd: pipeline.root, configFile: pipeline.file, env: {} })
  return {
    repoRoot,
    gitFound: git !== null,
    cwd,
    pipeline,
    home: { home: config.home, store: config.store.path, artifacts: config.artifacts.path },
    packageDir,
    packageJson: packageDir ? readPackageJson(path.join(packageDir, 'package.json')) : null,
    hasLock: packageDir !== null && existsSync(path.join(packageDir, 'package-lock.json')),
    hasNpmrc: packageDir !== null && existsSync(path.join(packageDir, '.npmrc')),
    kind: (file) => {
      const s = statSync(file, { throwIfNoEntry: false })
      return s === undefined ? 'missing' : s.isDirectory() ? 'dir' : 'file'
    },
  }
}

/** The first folder from `dir` upwards (up to `stop`, or the file system's root) where `found` holds. */
function upFrom(dir: string, stop: string | null, found: (dir: string) => boolean): string | null {
  for (let d = dir; ; d = path.dirname(d)) {
    if (found(d)) return d
    if (d === stop || path.dirname(d) === d) return null
  }
}

function readPackageJson(file: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'))
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>
    throw new Error('expected a JSON object')
  } catch (e) {
    throw new SluiceError(
      'INVALID_CONFIG',
      `${path.relative(process.cwd(), file) || file} is not a valid package.json (${(e as Error).message}); fix it so npm can read it`,
      { cause: e },
    )
  }
}
