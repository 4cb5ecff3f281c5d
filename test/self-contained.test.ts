import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './support/cli.js'

/** Every file of the project a test, script, benchmark or the product itself may read at run time. */
function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mjs|js|py|sh)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
}

describe('the repository stands alone', () => {
  it('reads nothing beside its own tree (a clone has no ../shared)', () => {
    const outside = ['src', 'test', 'scripts', 'bench', 'examples', 'bin', '.ci']
      .flatMap(sourceFiles)
      .filter((file) => /\.\.\/shared\b|shared\/conformance/.test(readFileSync(file, 'utf8')))
      .filter((file) => file !== path.join(ROOT, 'test', 'self-contained.test.ts'))
    expect(outside.map((f) => path.relative(ROOT, f))).toEqual([])
  })

  it('runs its tests with none of the caller’s SLUICE_* variables (tests make their own homes)', () => {
    expect(Object.keys(process.env).filter((name) => name.startsWith('SLUICE_'))).toEqual([])
  })
})
