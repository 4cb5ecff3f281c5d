import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildDag, missingDeps, selectStages } from './dag.js'
import { canonicalJson, keyMaterial, stageKey, usesPython } from './key.js'
import { loadPipeline, type Stage } from './spec.js'

function pipelineOf(yaml: string, params?: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-spec-'))
  writeFileSync(path.join(dir, 'sluice.yaml'), yaml)
  if (params) writeFileSync(path.join(dir, 'params.yaml'), params)
  return loadPipeline(path.join(dir, 'sluice.yaml'))
}

const stage = (name: string, deps: string[], outs: string[]): Stage => ({
  name,
  command: `make ${name}`,
  builtin: null,
  deps,
  params: [],
  outs,
  metrics: [],
  env: [],
  alwaysRun: false,
  keyExtras: {},
  config: [],
  baseline: null,
})

describe('pipeline spec', () => {
  it('expands built-ins into a sluice command line with their deps, outs and metrics', () => {
    const p = pipelineOf(
      `stages:
  train:
    uses: sluice/train
    with: {algo: gbdt, data: data/train.parquet, target: delayed, features: [hour, origin], seed: 7, out: model.onnx, params: {max_iter: 50}}
    params: [train]
  evaluate:
    uses: sluice/evaluate
    with: {model: model.onnx, data: data/eval.parquet, target: delayed, slice_by: [origin], out: eval.json, predictions_out: preds.parquet}
  gate:
    uses: sluice/gate
    with: {evaluation: eval.json, against: delay@champion, junit: gate.xml, out: gate.json}
`,
      'train:\n  learning_rate: 0.05\n  max_leaf_nodes: 15\n',
    )
    const [train, evaluate, gate] = p.stages
    expect(train!.builtin!.args).toEqual([
      'train',
      '--algo',
      'gbdt',
      '--data',
      'data/train.parquet',
      '--target',
      'delayed',
      '--features',
      'hour,origin',
      '--seed',
      '7',
      '--param',
      'learning_rate=0.05',
      '--param',
      'max_iter=50',
      '--param',
      'max_leaf_nodes=15',
      '--out',
      'model.onnx',
    ])
    expect(train).toMatchObject({ deps: ['data/train.parquet'], outs: ['model.onnx'], alwaysRun: false })
    expect(evaluate).toMatchObject({
      deps: ['model.onnx', 'data/eval.parquet'],
      outs: ['preds.parquet'],
      metrics: ['eval.json'],
    })
    // Comparing with a registered champion: cached, keyed on the champion resolved at run time, and
    // on the model the evaluation is of (the evaluate stage's model), to tell when they are the same.
    expect(gate).toMatchObject({
      deps: ['eval.json'],
      outs: ['gate.xml'],
      metrics: ['gate.json'],
      alwaysRun: false,
      baseline: { ref: 'delay@champion', candidate: 'model.onnx' },
    })
    expect(gate!.command).toBe(
      'sluice gate --evaluation eval.json --against delay@champion --junit gate.xml --out gate.json',
    )
    const dag = buildDag(p.stages)
    expect(dag.upstream.get('gate')).toEqual(['evaluate'])
    expect(dag.upstream.get('evaluate')).toEqual(['train'])
  })

  it('orders stages by their deps, selects upstream stages, and finds deps nobody writes', () => {
    const stages = [
      stage('c', ['b/out.txt'], ['c.txt']),
      stage('b', ['a.txt'], ['b']),
      stage('a', ['raw'], ['a.txt']),
    ]
    const dag = buildDag(stages)
    expect(dag.order.map((s) => s.name)).toEqual(['a', 'b', 'c'])
    expect(selectStages(dag, ['b']).map((s) => s.name)).toEqual(['a', 'b'])
    expect(missingDeps(stages, dag, () => false)).toEqual([{ stage: 'a', dep: 'raw' }])
    expect(() => selectStages(dag, ['d'])).toThrow(/no stage named "d"; the pipeline's stages are a, b, c/)
  })

  it('refuses outs nested in another stage’s out, and a stage reading its own out', () => {
    expect(() => buildDag([stage('a', [], ['data']), stage('b', [], ['data/x.csv'])])).toThrow(
      /stages "a" and "b" write "data" and "data\/x.csv", one inside the other/,
    )
    expect(() => buildDag([stage('a', ['x'], ['x'])])).toThrow(
      'stage "a" reads what it writes: its dep "x" is its out "x", and a stage cannot depend on itself; read the file from elsewhere, or write the out to another path',
    )
    expect(() => buildDag([stage('a', ['data/raw.csv'], ['data'])])).toThrow(
      /^stage "a" reads what it writes: its dep "data\/raw.csv" overlaps its out "data", and/,
    )
  })
})

describe('cache keys', () => {
  const env = {
    node: 'v20.0.0',
    os: 'linux',
    arch: 'x64',
    sluice: '0.1.0',
    lockfiles: { 'package-lock.json': 'sha256:aa' },
  }
  const deps = { 'a.csv': { digest: 'sha256:11' as const, size: 1, kind: 'file' as const } }

  it('changes with the command, a dep, a param, a declared variable and the fingerprint, and nothing else', () => {
    const s = { ...stage('s', ['a.csv'], ['o']), env: ['SEED'] }
    const base = stageKey(keyMaterial(s, deps, { lr: 0.1 }, { SEED: '1', OTHER: 'x' }, env))
    expect(stageKey(keyMaterial(s, deps, { lr: 0.1 }, { SEED: '1', OTHER: 'y' }, env))).toBe(base)
    const changed = [
      keyMaterial({ ...s, command: 'make t' }, deps, { lr: 0.1 }, { SEED: '1' }, env),
      keyMaterial(s, { 'a.csv': { ...deps['a.csv'], digest: 'sha256:12' } }, { lr: 0.1 }, { SEED: '1' }, env),
      keyMaterial(s, deps, { lr: 0.2 }, { SEED: '1' }, env),
      keyMaterial(s, deps, { lr: 0.1 }, { SEED: '2' }, env),
      keyMaterial(s, deps, { lr: 0.1 }, { SEED: '1' }, { ...env, node: 'v22.0.0' }),
      keyMaterial(
        s,
        deps,
        { lr: 0.1 },
        { SEED: '1' },
        { ...env, lockfiles: { 'package-lock.json': 'sha256:bb' } },
      ),
    ].map(stageKey)
    expect(new Set([base, ...changed]).size).toBe(7)
  })

  it('includes a gate’s resolved baseline, and leaves the keys of other stages as they were', () => {
    const s = stage('g', ['a.csv'], [])
    const without = keyMaterial(s, deps, {}, {}, env)
    expect(Object.keys(without)).not.toContain('baseline')
    const b = (against: string) => ({ ref: 'm@champion', against, candidate: 'sha256:cc' })
    const keys = ['sha256:aa', 'sha256:bb', 'the candidate', 'none: no model "m"'].map((a) =>
      stageKey(keyMaterial(s, deps, {}, {}, env, b(a))),
    )
    expect(new Set([stageKey(without), ...keys]).size).toBe(5)
  })

  it('includes Python’s version only for stages that use Python', () => {
    const py = { ...stage('p', ['train.py'], []), command: 'python3 train.py' }
    expect(usesPython(py)).toBe(true)
    expect(usesPython(stage('n', ['x.mjs'], []))).toBe(false)
    const a = stageKey(keyMaterial(py, {}, {}, {}, { ...env, python: '3.11.7' }))
    expect(stageKey(keyMaterial(py, {}, {}, {}, { ...env, python: '3.12.0' }))).not.toBe(a)
  })

  it('writes canonical JSON: key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }] })).toBe('{"a":[{"c":null,"d":2}],"b":1}')
  })
})
