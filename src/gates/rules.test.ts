import { describe, expect, it } from 'vitest'
import { parseGateRules } from './rules.js'

const parse = (text: string) => parseGateRules(text, 'sluice.yaml')

describe('gate rules', () => {
  it('parses the gates section and ignores the rest of sluice.yaml', () => {
    const rules = parse(`
home: .sluice
stages: [whatever]
gates:
  metrics:
    accuracy: {threshold: 0.80, greater_is_better: true}
    roc_auc:  {min_absolute_change: 0.005, significance: 0.05}
    log_loss: {threshold: 0.60, min_relative_change: 0.01, greater_is_better: false}
  slices:
    origin: {recall: {threshold: 0.50, greater_is_better: true}}
  budgets: {model_size_mb: 50, latency_ms_p99: 5}
`)
    expect(rules).toEqual({
      metrics: {
        accuracy: { threshold: 0.8, greater_is_better: true },
        roc_auc: { min_absolute_change: 0.005, significance: 0.05 },
        log_loss: { threshold: 0.6, min_relative_change: 0.01, greater_is_better: false },
      },
      slices: { origin: { recall: { threshold: 0.5, greater_is_better: true } } },
      budgets: { model_size_mb: 50, latency_ms_p99: 5 },
    })
  })

  it('is null without a gates section', () => {
    expect(parse('home: .sluice\n')).toBeNull()
    expect(parse('')).toBeNull()
  })

  it('reports the file, line and key of a mistake', () => {
    const cases: [string, RegExp][] = [
      [
        'gates:\n  metrics:\n    accuracy: {treshold: 0.8}\n',
        /^sluice\.yaml:3: unknown key "gates\.metrics\.accuracy\.treshold"; expected one of: threshold, min_absolute_change/,
      ],
      [
        'gates:\n  metrics:\n    accuracy: {threshold: high}\n',
        /^sluice\.yaml:3: gates\.metrics\.accuracy\.threshold: expected number, got "high"/,
      ],
      [
        'gates:\n  metrics:\n    accuracy: {greater_is_better: true}\n',
        /sluice\.yaml:3: .*give at least one of threshold/,
      ],
      [
        'gates:\n  metrics:\n    my_score: {threshold: 3}\n',
        /sluice\.yaml:3: gates\.metrics\.my_score\.greater_is_better: "my_score" is not a metric sluice knows the direction of; add greater_is_better: true or false/,
      ],
      [
        'gates:\n  metrics:\n    roc_auc: {significance: 5}\n',
        /sluice\.yaml:3: gates\.metrics\.roc_auc\.significance/,
      ],
      [
        'gates:\n  metrics:\n    roc_auc: {min_absolute_change: -0.1}\n',
        /gates\.metrics\.roc_auc\.min_absolute_change/,
      ],
      [
        'gates:\n  slices:\n    origin:\n      recall: {significance: 0.05}\n',
        /sluice\.yaml:4: unknown key "gates\.slices\.origin\.recall\.significance"/,
      ],
      [
        'gates:\n  budgets: {model_size_gb: 1}\n',
        /sluice\.yaml:2: unknown key "gates\.budgets\.model_size_gb"; expected one of: model_size_mb, latency_ms_p50, latency_ms_p99/,
      ],
      ['gates:\n  metric: {}\n', /unknown key "gates\.metric"; expected one of: metrics, slices, budgets/],
      ['gates:\n  metrics: {}\n', /^sluice\.yaml: the gates section has no rules/],
    ]
    for (const [text, message] of cases) {
      expect(() => parse(text), text).toThrow(message)
      try {
        parse(text)
      } catch (e) {
        expect((e as { code: string }).code).toBe('INVALID_CONFIG')
      }
    }
  })
})
