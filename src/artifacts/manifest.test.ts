import { describe, expect, it } from 'vitest'
import { sha256Bytes } from '../core/hash.js'
import { checkRelativePath, parseManifest, serializeManifest } from './manifest.js'

const d = sha256Bytes('x')

describe('folder manifests', () => {
  it('refuses every path that could leave the folder', () => {
    for (const p of ['../x', 'a/../../x', '/etc/passwd', 'a//b', './a', 'a/.', 'C:/x', 'a\\b', '', 'a\0b']) {
      expect(() => checkRelativePath(p), p).toThrow(/unsafe path/)
    }
    expect(checkRelativePath('a/b.c/d')).toBe('a/b.c/d')
  })

  it('rejects a manifest naming a path twice, or a path that is both file and folder', () => {
    const twice = JSON.stringify({
      schema: 'sluice.manifest/v1',
      files: [
        { path: 'a', digest: d, size: 1 },
        { path: 'a', digest: d, size: 1 },
      ],
    })
    expect(() => parseManifest(twice, 'm')).toThrow(/listed twice/)
    const both = JSON.stringify({
      schema: 'sluice.manifest/v1',
      files: [
        { path: 'a', digest: d, size: 1 },
        { path: 'a/b', digest: d, size: 1 },
      ],
    })
    expect(() => parseManifest(both, 'm')).toThrow(/both a file and a folder/)
    const traversal = JSON.stringify({
      schema: 'sluice.manifest/v1',
      files: [{ path: '../../etc/passwd', digest: d, size: 1 }],
    })
    expect(() => parseManifest(traversal, 'm')).toThrow(/unsafe path/)
  })

  it('serializes canonically: the same files in any order give the same bytes', () => {
    const a = { path: 'a', digest: d, size: 1, executable: false }
    const b = { path: 'b/c', digest: d, size: 2, executable: true }
    expect(serializeManifest([b, a])).toBe(serializeManifest([a, b]))
    expect(parseManifest(serializeManifest([a, b]), 'm').files.map((f) => f.path)).toEqual(['a', 'b/c'])
  })
})
