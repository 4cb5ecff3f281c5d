import { execFile, execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sha256Bytes } from './hash.js'

/** What the code ran on: recorded with every model version (and later every pipeline run). */
export interface EnvironmentFingerprint {
  node: string
  os: string
  arch: string
  sluice: string
  /** SHA-256 of each lockfile found in the project folder, by file name. */
  lockfiles: Record<string, string>
  /** Python's version, recorded by pipeline runs whose stages use Python (null: none installed). */
  python?: string | null
}

export interface CodeRevision {
  commit: string
  dirty: boolean
}

const LOCKFILES = [
  'package-lock.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'bun.lock',
  'requirements.txt',
  'poetry.lock',
  'uv.lock',
  'Pipfile.lock',
  'conda-lock.yml',
]

export function environmentFingerprint(projectDir: string, sluiceVersion: string): EnvironmentFingerprint {
  const lockfiles: Record<string, string> = {}
  for (const name of LOCKFILES) {
    const file = path.join(projectDir, name)
    if (existsSync(file)) lockfiles[name] = sha256Bytes(readFileSync(file))
  }
  return {
    node: process.version,
    os: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    sluice: sluiceVersion,
    lockfiles,
  }
}

/** `codeRevision` without blocking: both git calls run at once, beside whatever the caller does. */
export async function codeRevisionAsync(dir: string): Promise<CodeRevision | null> {
  const git = (...args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile('git', args, { cwd: dir, encoding: 'utf8' }, (e, out) => (e ? reject(e) : resolve(out))),
    )
  try {
    const [commit, status] = await Promise.all([
      git('rev-parse', 'HEAD'),
      git('status', '--porcelain', '--untracked-files=no'),
    ])
    return { commit: commit.trim(), dirty: status.trim().length > 0 }
  } catch {
    return null // not a repository, no commit yet, or git is not installed
  }
}

/** The git commit of `dir` and whether its work tree has uncommitted changes; null outside a repository. */
export function codeRevision(dir: string): CodeRevision | null {
  try {
    const opts = {
      cwd: dir,
      encoding: 'utf8' as const,
      stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'],
    }
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], opts).trim()
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], opts)
    return { commit, dirty: status.trim().length > 0 }
  } catch {
    return null // not a repository, no commit yet, or git is not installed
  }
}
