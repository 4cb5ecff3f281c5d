import { describe, expect, it } from 'vitest'
import { checkName } from './names.js'
import { parseDatasetRef, parseModelRef } from './refs.js'
import { parseWhere } from './where.js'

describe('names', () => {
  it('accepts names of up to 128 letters, digits, dot, underscore and dash', () => {
    expect(checkName('model', 'churn-v2.eu_1')).toBe('churn-v2.eu_1')
    expect(checkName('model', 'a'.repeat(128))).toHaveLength(128)
  })
  it('refuses path traversal, slashes, leading punctuation, over-long and reserved names', () => {
    for (const bad of ['../../etc/passwd', 'a/b', '.hidden', '-x', '', 'a'.repeat(129), 'spaced name', 'é']) {
      expect(() => checkName('model', bad), bad).toThrow(/invalid model name/)
    }
    expect(() => checkName('model', 'latest')).toThrow(/reserved/)
    expect(() => checkName('alias', '42')).toThrow(/reserved/)
  })
})

describe('references', () => {
  it('reads NAME@number, NAME@latest and NAME@alias', () => {
    expect(parseModelRef('churn@3')).toEqual({ name: 'churn', selector: { kind: 'number', version: 3 } })
    expect(parseModelRef('churn@latest')).toEqual({ name: 'churn', selector: { kind: 'latest' } })
    expect(parseModelRef('churn@champion')).toEqual({
      name: 'churn',
      selector: { kind: 'alias', alias: 'champion' },
    })
  })
  it('explains what a reference must look like', () => {
    for (const bad of ['churn', '@3', 'churn@', 'churn@0', '../x@1', 'churn@../../x']) {
      expect(() => parseModelRef(bad), bad).toThrow(/model reference|invalid|out of range/)
    }
  })
  it('reads dataset references with and without a version', () => {
    expect(parseDatasetRef('flights')).toEqual({ name: 'flights', version: 'latest' })
    expect(parseDatasetRef('flights@2')).toEqual({ name: 'flights', version: 2 })
    expect(() => parseDatasetRef('flights@two')).toThrow(/not a dataset reference/)
  })
})

describe('--where', () => {
  it('parses conditions joined by and', () => {
    expect(parseWhere('accuracy>0.8 and log_loss < 5e-1 AND f1==1')).toEqual([
      { key: 'accuracy', op: '>', value: 0.8 },
      { key: 'log_loss', op: '<', value: 0.5 },
      { key: 'f1', op: '=', value: 1 },
    ])
  })
  it('names the condition it cannot read', () => {
    expect(() => parseWhere('accuracy>0.8 or auc>0.9')).toThrow(
      /cannot read the condition "accuracy>0.8 or auc>0.9"/,
    )
    expect(() => parseWhere('accuracy>high')).toThrow(/METRIC OP NUMBER/)
  })
})
