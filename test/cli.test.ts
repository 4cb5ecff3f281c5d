import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { logisticModel } from '../scripts/onnx-fixtures.mjs'
import { json, sluice, tempDir } from './support/cli.js'

let dir: string
const run = (...args: string[]) => sluice(args, { cwd: dir })

beforeAll(async () => {
  dir = tempDir()
  writeFileSync(
    path.join(dir, 'model.onnx'),
    logisticModel({ features: ['distance', 'hour'], weights: [0.001, 0.05], bias: -1 }),
  )
  writeFileSync(
    path.join(dir, 'train.csv'),
    'distance,hour,origin,delayed\n100,7.5,SFO,0\n2000,18,JFK,1\n450,9,SFO,0\n300,6,LAX,0\n1200,21,JFK,1\n800,13,SFO,0\n',
  )
  expect((await run('init')).code).toBe(0)
})

describe('sluice CLI', () => {
  it('registers a model with its lineage and prints the model-version document', async () => {
    const ds = json(await run('data', 'add', 'train.csv', '--name', 'flights', '--json'))
    expect(ds).toMatchObject({
      schema: 'sluice.dataset-add/v1',
      name: 'flights',
      version: 1,
      rows: 6,
      created: true,
    })

    const r = await run(
      'models',
      'register',
      'delay',
      '--artifact',
      'model.onnx',
      '--flavor',
      'onnx',
      '--metric',
      'roc_auc=0.74',
      '--metric',
      'log_loss=0.41',
      '--param',
      'C=0.5',
      '--param',
      'penalty=l2',
      '--tag',
      'team=ops',
      '--dataset',
      'flights@1',
      '--description',
      'baseline',
      '--json',
    )
    expect(r.code).toBe(0)
    const doc = json(r)
    expect(Object.keys(doc)).toEqual([
      'schema',
      'name',
      'version',
      'status',
      'status_reason',
      'aliases',
      'artifact',
      'flavor',
      'signature',
      'metrics',
      'params',
      'tags',
      'description',
      'lineage',
      'created_at',
      'updated_at',
    ])
    expect(doc).toMatchObject({
      schema: 'sluice.model-version/v1',
      name: 'delay',
      version: 1,
      status: 'candidate',
      aliases: [],
      flavor: 'onnx',
      metrics: { roc_auc: 0.74, log_loss: 0.41 },
      params: { C: 0.5, penalty: 'l2' },
      tags: { team: 'ops' },
      signature: {
        inputs: [
          { name: 'distance', datatype: 'FP32', shape: [-1, 1] },
          { name: 'hour', datatype: 'FP32', shape: [-1, 1] },
        ],
        outputs: [{ name: 'probability', datatype: 'FP32', shape: [-1, 1] }],
      },
      lineage: {
        datasets: [{ name: 'flights', version: 1, role: 'train' }],
        parent_version: null,
        run_id: null,
      },
    })
    expect((doc.artifact as { digest: string }).digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect((doc.lineage as { environment: { node: string } }).environment.node).toBe(process.version)
    // `show --json` prints the same document.
    expect(json(await run('models', 'show', 'delay@1', '--json'))).toEqual(doc)
  })

  it('aliases, tags, lists with conditions, archives and prints the card', async () => {
    await run(
      'models',
      'register',
      'delay',
      '--artifact',
      'model.onnx',
      '--flavor',
      'onnx',
      '--metric',
      'roc_auc=0.79',
      '--parent',
      '1',
    )
    expect((await run('models', 'alias', 'delay', 'champion', '1')).stdout).toContain(
      'delay@champion → version 1',
    )
    expect((await run('models', 'alias', 'delay', 'champion', '2')).stdout).toContain(
      'moved from version 1 to 2',
    )
    expect(json(await run('models', 'show', 'delay@champion', '--json'))).toMatchObject({
      version: 2,
      aliases: ['champion'],
    })

    expect(json(await run('models', 'tag', 'delay@2', 'stage=canary', '--json'))).toMatchObject({
      tags: { stage: 'canary' },
    })
    const list = json<{ items: { version: number }[] }>(
      await run('models', 'list', '--where', 'roc_auc>0.75', '--json'),
    )
    expect(list.items.map((v) => v.version)).toEqual([2])
    const human = await run('models', 'list', '--prefix', 'del')
    expect(human.stdout).toMatch(/VERSION\s+STATUS\s+ALIASES/)
    expect(human.stdout).toContain('delay@2')

    const card = await run('models', 'card', 'delay@champion')
    expect(card.stdout).toContain('# delay — version 2')
    expect(card.stdout).toContain('- Parent version: 1')

    expect((await run('models', 'archive', 'delay@2')).code).toBe(2) // holds champion
    expect((await run('models', 'unalias', 'delay', 'champion')).code).toBe(0)
    expect(json(await run('models', 'archive', 'delay@2', '--reason', 'superseded', '--json'))).toMatchObject(
      { status: 'archived' },
    )
    expect(json(await run('models', 'show', 'delay@latest', '--json'))).toMatchObject({ version: 1 })

    // Registering the same artifact again is a new version; its bytes are stored once.
    const blobs = countBlobs(dir)
    expect(
      json(
        await run('models', 'register', 'delay', '--artifact', 'model.onnx', '--flavor', 'onnx', '--json'),
      ),
    ).toMatchObject({ version: 3 })
    expect(countBlobs(dir)).toBe(blobs)
    expect((await run('models', 'download', 'delay@3', '--out', 'dl/model.onnx')).code).toBe(0)
    expect(readFileSync(path.join(dir, 'dl', 'model.onnx'))).toEqual(
      readFileSync(path.join(dir, 'model.onnx')),
    )
  })

  it('versions datasets by content and shows their schema', async () => {
    const again = json(await run('data', 'add', 'train.csv', '--name', 'flights', '--json'))
    expect(again).toMatchObject({ version: 1, created: false })
    writeFileSync(
      path.join(dir, 'train2.csv'),
      `${readFileSync(path.join(dir, 'train.csv'), 'utf8')}999,23,ORD,1\n`,
    )
    expect(json(await run('data', 'add', 'train2.csv', '--name', 'flights', '--json'))).toMatchObject({
      version: 2,
      rows: 7,
    })
    const shown = await run('data', 'show', 'flights@2')
    expect(shown.stdout).toMatch(/origin\s+text\s+string\s+0/)
    const versions = json<{ items: { version: number }[] }>(await run('data', 'show', 'flights', '--json'))
    expect(versions.items.map((v) => v.version)).toEqual([2, 1])
    expect((await run('data', 'list')).stdout).toMatch(/flights\s+2\s+2\s+7/)
  })

  it('exits 2 with a clear message on bad usage and bad input, leaving nothing half-written', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['models', 'list', '--colour'], /unknown option '--colour'/],
      [['models', 'register', 'x', '--flavor', 'onnx'], /required option '--artifact <path>' not specified/],
      [['models', 'show', 'ghost@1'], /model "ghost" not found/],
      [['models', 'show', 'delay@99'], /model "delay" has no version 99/],
      [['models', 'show', 'delay@staging'], /model "delay" has no alias "staging"/],
      [['models', 'alias', 'delay', 'champion', '42'], /has no version 42/],
      [
        ['models', 'register', '../../etc/passwd', '--artifact', 'model.onnx', '--flavor', 'onnx'],
        /invalid model name "..\/..\/etc\/passwd"/,
      ],
      [['data', 'add', 'train.csv', '--name', '../../etc/passwd'], /invalid dataset name/],
      [
        ['models', 'register', 'x', '--artifact', 'train.csv', '--flavor', 'onnx'],
        /train\.csv is not a usable ONNX model/,
      ],
      [
        ['models', 'register', 'x', '--artifact', 'missing.onnx', '--flavor', 'onnx'],
        /missing\.onnx does not exist/,
      ],
      [
        ['models', 'register', 'x', '--artifact', 'model.onnx', '--flavor', 'onnx', '--metric', 'auc=high'],
        /metric auc must be a finite number/,
      ],
      [['models', 'list', '--where', 'auc >> 1'], /cannot read the condition/],
    ]
    for (const [args, message] of cases) {
      const r = await run(...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(message)
    }
    const j = await run('models', 'show', 'ghost@1', '--json')
    expect(j.code).toBe(2)
    expect(json(j)).toMatchObject({ schema: 'sluice.error/v1', error: { code: 'NOT_FOUND' } })
    // None of the refused registrations created a model or stored anything new.
    expect(json<{ items: unknown[] }>(await run('models', 'list', '--name', 'x', '--json')).items).toEqual([])
  })

  it('refuses a truncated data file without recording or storing it', async () => {
    const blobsBefore = countBlobs(dir)
    writeFileSync(path.join(dir, 'cut.csv'), 'a,b,c\n1,2,3\n4,5')
    const r = await run('data', 'add', 'cut.csv', '--name', 'cut')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('cut.csv:3: expected 3 fields (as in the header), found 2')
    expect(countBlobs(dir)).toBe(blobsBefore)
    expect((await run('data', 'show', 'cut')).stderr).toMatch(/dataset "cut" not found/)
  })

  it('rejects an invalid sluice.yaml naming the key and line', async () => {
    const other = tempDir()
    writeFileSync(path.join(other, 'sluice.yaml'), 'store:\n  backend: sqlite\n  pat: x.db\n')
    const r = await sluice(['models', 'list'], { cwd: other })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('sluice.yaml:3: unknown key "store.pat"; expected one of: backend, path')
    expect(existsSync(path.join(other, '.sluice'))).toBe(false)
  })

  it('verify names a corrupt blob and exits 1; --help works everywhere', async () => {
    const other = tempDir()
    writeFileSync(path.join(other, 'model.onnx'), logisticModel({ features: ['x'], weights: [2] }))
    const doc = json<{ artifact: { digest: string } }>(
      await sluice(['models', 'register', 'm', '--artifact', 'model.onnx', '--flavor', 'onnx', '--json'], {
        cwd: other,
      }),
    )
    expect((await sluice(['artifacts', 'verify'], { cwd: other })).code).toBe(0)
    const hex = doc.artifact.digest.slice(7)
    const blob = path.join(other, '.sluice', 'artifacts', 'sha256', hex.slice(0, 2), hex)
    chmodSync(blob, 0o644)
    writeFileSync(blob, 'tampered')
    const v = await sluice(['artifacts', 'verify'], { cwd: other })
    expect(v.code).toBe(1)
    expect(v.stdout).toContain(`CORRUPT ${doc.artifact.digest}`)
    const d = await sluice(['models', 'download', 'm@1', '--out', 'copy.onnx'], { cwd: other })
    expect(d.code).toBe(2)
    expect(d.stderr).toContain(`blob ${doc.artifact.digest} is corrupt`)
    expect(readdirSync(other).filter((n) => n.includes('copy'))).toEqual([])
    for (const args of [
      ['--help'],
      ['models', '--help'],
      ['models', 'register', '--help'],
      ['data', 'add', '--help'],
      ['artifacts', 'gc', '--help'],
    ]) {
      const h = await sluice(args, { cwd: other })
      expect(h.code, args.join(' ')).toBe(0)
      expect(h.stdout).toContain('Usage: sluice')
    }
  })
})

function countBlobs(home: string): number {
  const root = path.join(home, '.sluice', 'artifacts', 'sha256')
  return existsSync(root)
    ? readdirSync(root).reduce((n, d) => n + readdirSync(path.join(root, d)).length, 0)
    : 0
}
