import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { relationOf, resolvedPath, type StatePaths } from './guard.js'
import { loadPipeline } from './spec.js'

/** A project folder (symbolic links resolved, as the messages show it) with a sluice.yaml. */
function project(yaml: string, files: Record<string, string> = {}) {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sluice-guard-')))
  writeFileSync(path.join(dir, 'sluice.yaml'), yaml)
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  const state = (home = '.sluice', o: Partial<StatePaths> = {}): StatePaths => ({
    home: path.join(dir, home),
    store: path.join(dir, home, 'sluice.db'),
    artifacts: path.join(dir, home, 'artifacts'),
    ...o,
  })
  const load = (s: StatePaths | undefined = state(), file = 'sluice.yaml') =>
    loadPipeline(path.join(dir, file), s)
  return { dir, state, load }
}

const writing = (out: string, extra = '') => `stages:\n  w:\n    cmd: echo\n    outs: [${out}]\n${extra}`

describe('outs that would destroy sluice state or configuration', () => {
  it('refuses an out holding the home, naming both paths (home: state/.sluice, outs: [state])', () => {
    const p = project(writing('state'))
    expect(() => p.load(p.state('state/.sluice'))).toThrow(
      `stage "w": out "state" holds the sluice home ${p.dir}/state/.sluice; running the stage would delete it: write the out elsewhere or move the home (home: in sluice.yaml, --home or SLUICE_HOME)`,
    )
  })

  it('refuses an out that is or lies inside the home, the store or the artifact store', () => {
    const p = project(writing('.sluice'))
    expect(() => p.load()).toThrow(
      /out ".sluice" is the sluice home .*\.sluice; running the stage would delete it/,
    )
    const inside = project(writing('.sluice/artifacts/sha256'))
    expect(() => inside.load()).toThrow(
      /out ".sluice\/artifacts\/sha256" lies inside the sluice home .*; running the stage would write into it/,
    )
    expect(() => inside.load()).toThrow(/lies inside the artifact store .*\.sluice\/artifacts;/)
    // A store and an artifact store configured away from the home are guarded where they are.
    const apart = project(writing('db, blobs'))
    const state = apart.state('.sluice', {
      store: path.join(apart.dir, 'db', 'meta.db'),
      artifacts: path.join(apart.dir, 'blobs'),
    })
    expect(() => apart.load(state)).toThrow(
      new RegExp(
        `out "db" holds the metadata store ${apart.dir}/db/meta.db; .*move the store \\(store.path in sluice.yaml\\)\\n` +
          `stage "w": out "blobs" is the artifact store ${apart.dir}/blobs;`,
      ),
    )
  })

  it('refuses writing the config file (whichever --config named), params.yaml, a contract or gate rules', () => {
    const p = project(writing('sluice.yaml'))
    expect(() => p.load()).toThrow(`out "sluice.yaml" is the config file ${p.dir}/sluice.yaml;`)
    const other = project('')
    writeFileSync(path.join(other.dir, 'ci.yaml'), writing('ci.yaml'))
    expect(() => other.load(other.state(), 'ci.yaml')).toThrow(`is the config file ${other.dir}/ci.yaml`)
    // params.yaml is guarded even before it exists: a stage writing it would change the params.
    const params = project(`stages:\n  w:\n    cmd: echo\n    metrics: [params.yaml]\n`)
    expect(() => params.load()).toThrow(
      `stage "w": out "params.yaml" is the params file ${params.dir}/params.yaml;`,
    )
    const contract = project(
      `stages:
  gen:
    cmd: echo
    outs: [checks]
  validate:
    uses: sluice/validate
    with: {data: d.csv, contract: checks/contract.yaml}
  gate:
    uses: sluice/gate
    with: {evaluation: e.json, rules: rules.yaml}
  rules:
    cmd: echo
    outs: [rules.yaml]
`,
      { 'd.csv': 'a\n1\n', 'e.json': '{}' },
    )
    expect(() => contract.load()).toThrow(
      new RegExp(
        `stage "gen": out "checks" holds the contract of stage "validate" ${contract.dir}/checks/contract.yaml;.*\\n` +
          `stage "rules": out "rules.yaml" is the gate rules of stage "gate" ${contract.dir}/rules.yaml;`,
      ),
    )
  })

  it('sees through "..", symbolic links and links to what does not exist yet', () => {
    const p = project(writing('data/../.sluice'))
    expect(() => p.load()).toThrow(/out ".sluice" is the sluice home/)
    const linked = project(writing('state'))
    mkdirSync(path.join(linked.dir, '.sluice'))
    symlinkSync('.sluice', path.join(linked.dir, 'state'))
    expect(() => linked.load()).toThrow(
      `out "state" (${linked.dir}/.sluice) is the sluice home ${linked.dir}/.sluice;`,
    )
    // The home is reached through a link to a folder that is not there yet.
    const dangling = project(writing('out/x'))
    symlinkSync('var/home', path.join(dangling.dir, 'out'))
    expect(() => dangling.load(dangling.state('var/home'))).toThrow(
      `out "out/x" (${dangling.dir}/var/home/x) lies inside the sluice home ${dangling.dir}/var/home;`,
    )
  })

  it('leaves alone outs beside the guarded paths and the normal producer → consumer edges', () => {
    const p = project(
      `stages:
  prepare:
    cmd: echo
    outs: [data, .sluice-notes]
  train:
    cmd: echo
    deps: [data/train.csv]
    outs: [model.onnx]
  validate:
    uses: sluice/validate
    with: {data: data/train.csv, contract: contract.yaml, out: reports/validation.json}
`,
    )
    expect(p.load().stages.map((s) => s.name)).toEqual(['prepare', 'train', 'validate'])
    // Without the state paths (a library caller), the config files are still guarded.
    const bare = project(writing('params.yaml'))
    expect(() => bare.load(undefined)).toThrow(/is the params file/)
  })

  it('refuses what buildDag refuses (a cycle, two stages writing one path) when the pipeline is loaded', () => {
    const p = project(
      'stages:\n  a:\n    cmd: echo\n    outs: [data]\n  b:\n    cmd: echo\n    outs: [data/x.csv]\n',
    )
    expect(() => p.load()).toThrow(/stages "a" and "b" write "data" and "data\/x.csv", one inside the other/)
  })
})

describe('path relations', () => {
  it('tells is, holds, lies inside and apart, and does not take a shared prefix for nesting', () => {
    expect(relationOf('/p/a', '/p/a')).toBe('is')
    expect(relationOf('/p', '/p/a/b')).toBe('holds')
    expect(relationOf('/p/a/b', '/p/a')).toBe('lies inside')
    expect(relationOf('/p/ab', '/p/a')).toBeNull()
    expect(relationOf('/p/a', '/')).toBe('lies inside')
    expect(resolvedPath('/no/such/../folder')).toBe('/no/folder')
  })
})
