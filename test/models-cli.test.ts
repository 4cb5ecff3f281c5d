import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { cell } from '../src/data/frame.js'
import { loadFrame } from '../src/data/load.js'
import type { EvaluationDoc } from '../src/models/evaluate.js'
import { json, sluice, tempDir } from './support/cli.js'

let dir: string
const run = (...args: string[]) => sluice(args, { cwd: dir })

beforeAll(() => {
  dir = tempDir('sluice-models-')
  const cities = ['paris', 'lyon', 'nice', 'brest']
  const rows = (n: number, offset: number) =>
    Array.from({ length: n }, (_, k) => {
      const i = k + offset
      const a = ((i * 7919) % 1000) / 100 - 5
      const h = (i * 31) % 24
      const c = cities[(i * 13) % 4]!
      const y =
        0.9 * a - 0.1 * (h - 12) + (c === 'nice' ? 1.5 : 0) + (((i * 104729) % 100) / 100 - 0.5) * 3 > 0
          ? 'late'
          : 'on-time'
      return `${i},${i % 41 === 0 ? '' : a},${h},${i % 43 === 0 ? 'atlantis' : c},${y},${(3 * a + h).toFixed(3)}`
    })
  writeFileSync(path.join(dir, 'train.csv'), `id,a,hour,city,status,amount\n${rows(3000, 0).join('\n')}\n`)
  writeFileSync(path.join(dir, 'test.csv'), `id,a,hour,city,status,amount\n${rows(800, 5000).join('\n')}\n`)
  writeFileSync(path.join(dir, 'params.yaml'), 'max_iter: 40\nlearning_rate: 0.2\n')
})

describe('sluice train, predict, evaluate', () => {
  it('trains a gbdt classifier, registers it with its lineage, and is deterministic', async () => {
    const args = [
      'train',
      '--algo',
      'gbdt',
      '--data',
      'train.csv',
      '--target',
      'status',
      '--features',
      'a,hour,city',
      '--params',
      'params.yaml',
      '--seed',
      '7',
    ]
    const r = await run(...args, '--out', 'model.onnx', '--register', 'lateness', '--json')
    expect(r.code).toBe(0)
    const doc = json<{
      schema: string
      task: string
      digest: string
      params: Record<string, unknown>
      metrics: Record<string, number>
      registered: Record<string, unknown>
    }>(r)
    expect(doc).toMatchObject({
      schema: 'sluice.train/v1',
      task: 'classification',
      params: { max_iter: 40, learning_rate: 0.2, max_leaf_nodes: 31 },
    })
    expect(doc.metrics.roc_auc).toBeGreaterThan(0.8)
    expect(doc.registered).toMatchObject({
      name: 'lateness',
      version: 1,
      metrics: { roc_auc: doc.metrics.roc_auc },
      params: { algo: 'gbdt', seed: 7, max_iter: 40 },
      signature: {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [-1, 1] },
          { name: 'hour', datatype: 'FP32', shape: [-1, 1] },
          { name: 'city', datatype: 'BYTES', shape: [-1, 1] },
        ],
        outputs: [
          { name: 'label', datatype: 'BYTES', shape: [-1] },
          { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
        ],
      },
      lineage: { datasets: [{ name: 'train', version: 1, role: 'train' }] },
    })
    const again = json<{ digest: string }>(await run(...args, '--out', 'model2.onnx', '--json'))
    expect(again.digest).toBe(doc.digest)
    expect(
      readFileSync(path.join(dir, 'model2.onnx')).equals(readFileSync(path.join(dir, 'model.onnx'))),
    ).toBe(true)
  })

  it('predicts a file in batch, keeping the id column; unseen categories and missing values are handled', async () => {
    const r = await run(
      'predict',
      'lateness@1',
      '--data',
      'test.csv',
      '--out',
      'preds.parquet',
      '--id',
      'id',
      '--json',
    )
    expect(r.code).toBe(0)
    expect(json(r)).toMatchObject({
      rows: 800,
      columns: ['id', 'label', 'probability_late', 'probability_on-time'],
    })
    const { frame } = await loadFrame(path.join(dir, 'preds.parquet'))
    expect(cell(frame.columns[0]!, 0)).toBe(5000)
    for (let row = 0; row < frame.rows; row++) {
      const p = (cell(frame.columns[2]!, row) as number) + (cell(frame.columns[3]!, row) as number)
      expect(p).toBeCloseTo(1, 5)
    }
  })

  it('evaluates: metrics, slices, size, latency and per-row predictions with their digest', async () => {
    const r = await run(
      'evaluate',
      'lateness@latest',
      '--data',
      'test.csv',
      '--target',
      'status',
      '--slice-by',
      'city',
      '--predictions-out',
      'eval-preds.csv',
      '--json',
    )
    expect(r.code).toBe(0)
    const doc = json<EvaluationDoc>(r)
    expect(Object.keys(doc)).toEqual([
      'schema',
      'model',
      'dataset',
      'target',
      'task',
      'predictions',
      'metrics',
      'slices',
    ])
    expect(doc.schema).toBe('sluice.evaluation/v1')
    expect(doc.model).toMatchObject({
      name: 'lateness',
      version: 1,
      size_bytes: expect.any(Number),
      latency_ms: { p50: expect.any(Number), p99: expect.any(Number) },
    })
    expect(doc.dataset).toMatchObject({
      path: 'test.csv',
      rows: 800,
      fingerprint: expect.stringMatching(/^sha256:/),
    })
    expect(doc.predictions).toMatchObject({
      path: 'eval-preds.csv',
      id_column: null,
      digest: expect.stringMatching(/^sha256:/),
    })
    expect(doc.metrics.roc_auc).toBeGreaterThan(0.8)
    expect(doc.metrics.confusion_matrix).toHaveLength(2)
    expect(Object.keys(doc.slices.city!).sort()).toEqual(['atlantis', 'brest', 'lyon', 'nice', 'paris'])
    expect(readFileSync(path.join(dir, 'eval-preds.csv'), 'utf8').split('\n')[0]).toBe(
      'row,actual,label,probability_late,probability_on-time',
    )
  })

  it('trains logistic and linear models, and a gbdt regressor', async () => {
    for (const [algo, target] of [
      ['logistic', 'status'],
      ['linear', 'amount'],
      ['gbdt', 'amount'],
    ] as const) {
      const r = await run(
        'train',
        '--algo',
        algo,
        '--data',
        'train.csv',
        '--target',
        target,
        '--features',
        'a,hour,city',
        '--out',
        `${algo}-${target}.onnx`,
        '--param',
        'validation_fraction=0.2',
        '--json',
      )
      expect(r.code, `${algo}: ${r.stderr}`).toBe(0)
      const doc = json<{ metrics: Record<string, number>; rows: { validation: number } }>(r)
      expect(doc.rows.validation).toBe(600)
      if (target === 'amount') expect(doc.metrics.r2).toBeGreaterThan(0.9)
      const e = json<{ task: string }>(
        await run('evaluate', `${algo}-${target}.onnx`, '--data', 'test.csv', '--target', target, '--json'),
      )
      expect(e.task).toBe(target === 'amount' ? 'regression' : 'classification')
    }
  })

  it('exits 2 with a clear message on bad input', async () => {
    writeFileSync(path.join(dir, 'constant.csv'), 'x,y\n1,a\n2,a\n3,a\n')
    writeFileSync(path.join(dir, 'empty-feature.csv'), 'x,y\n,a\n,b\n,a\n')
    writeFileSync(path.join(dir, 'not-a-model.onnx'), 'definitely not protobuf')
    writeFileSync(path.join(dir, 'other.csv'), 'id,b,c\n1,2,3\n')
    const base = ['train', '--out', 'x.onnx']
    const cases: [string[], RegExp][] = [
      [
        [...base, '--algo', 'forest', '--data', 'train.csv', '--target', 'status', '--features', 'a'],
        /unknown algorithm "forest"; choose one of gbdt, logistic, linear/,
      ],
      [
        [
          ...base,
          '--algo',
          'gbdt',
          '--data',
          'train.csv',
          '--target',
          'status',
          '--features',
          'a',
          '--param',
          'depth=3',
        ],
        /unknown parameter "depth" for gbdt; valid parameters: learning_rate/,
      ],
      [
        [...base, '--algo', 'gbdt', '--data', 'train.csv', '--target', 'nope', '--features', 'a'],
        /target column "nope" is not in the data/,
      ],
      [
        [...base, '--algo', 'gbdt', '--data', 'constant.csv', '--target', 'y', '--features', 'x'],
        /target column "y" is constant/,
      ],
      [
        [...base, '--algo', 'gbdt', '--data', 'empty-feature.csv', '--target', 'y', '--features', 'x'],
        /feature "x" has only missing values/,
      ],
      [
        ['predict', 'not-a-model.onnx', '--data', 'test.csv', '--out', 'p.csv'],
        /not-a-model\.onnx is not a usable ONNX model/,
      ],
      [
        ['predict', 'lateness@1', '--data', 'other.csv', '--out', 'p.csv'],
        /model input "a" \(FP32 \[N, 1\]\) has no column in the data; its columns are id, b, c/,
      ],
      [
        ['evaluate', 'lateness@1', '--data', 'test.csv', '--target', 'nope'],
        /target column "nope" is not in test\.csv/,
      ],
    ]
    for (const [args, message] of cases) {
      const r = await run(...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(message)
    }
  })
})
