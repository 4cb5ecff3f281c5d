import { describe, expect, it } from 'vitest'
import { evaluationDoc } from '../../test/support/evaluations.js'
import { evaluateGates } from './evaluate.js'
import { renderGateJunit, renderGateMarkdown } from './report.js'

interface XmlNode {
  name: string
  attributes: Record<string, string>
  children: XmlNode[]
  text: string
}

/** A strict little XML reader: well-formed elements, quoted attributes, only the five entities and &#N;. */
function parseXml(xml: string): XmlNode {
  const body = xml.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, '')
  const decode = (s: string) => {
    if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(s)) throw new Error(`bare & in ${s}`)
    return s.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (_, e: string) =>
      e.startsWith('#')
        ? String.fromCodePoint(Number(e.slice(1)))
        : { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e]!,
    )
  }
  const token = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/y
  const root: XmlNode = { name: '#document', attributes: {}, children: [], text: '' }
  const stack = [root]
  while (token.lastIndex < body.length) {
    const at = token.lastIndex
    const m = token.exec(body)
    if (!m) throw new Error(`not well-formed at ${at}: ${body.slice(at, at + 40)}`)
    const top = stack[stack.length - 1]!
    if (m[5] !== undefined) {
      if (m[5].includes('>')) throw new Error('raw > in text')
      top.text += decode(m[5])
    } else if (m[1]) {
      if (top.name !== m[2]) throw new Error(`</${m[2]}> closes <${top.name}>`)
      stack.pop()
    } else {
      const attributes = Object.fromEntries(
        [...m[3]!.matchAll(/([\w.:-]+)="([^"]*)"/g)].map(([, k, v]) => [k!, decode(v!)]),
      )
      const node: XmlNode = { name: m[2]!, attributes, children: [], text: '' }
      top.children.push(node)
      if (!m[4]) stack.push(node)
    }
  }
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1]!.name}> is not closed`)
  const elements = root.children
  if (elements.length !== 1) throw new Error('not one root element')
  return elements[0]!
}

const nasty = 'a<b & "c" \'d\'\u0001'
const result = evaluateGates(
  {
    metrics: {
      accuracy: { threshold: 0.9 },
      [nasty]: { threshold: 1, greater_is_better: true },
      roc_auc: { min_absolute_change: 0.01 },
    },
    slices: { 'pipe|col': { recall: { threshold: 0.5 } } },
    budgets: { model_size_mb: 10 },
  },
  evaluationDoc({ accuracy: 0.8, roc_auc: 0.9 }, { slices: { 'pipe|col': { 'x|y': { recall: 0.6 } } } }),
  null,
  null,
  { noBaselineNote: 'model "churn" has no "champion" yet, so there is nothing to compare with' },
)

describe('JUnit XML', () => {
  it('is well-formed, one test case per rule, failures with their reason', () => {
    expect(result.rules).toHaveLength(5)
    const suites = parseXml(renderGateJunit(result))
    expect(suites).toMatchObject({
      name: 'testsuites',
      attributes: { tests: '5', failures: '2', errors: '0' },
    })
    const suite = suites.children[0]!
    expect(suite.attributes).toMatchObject({ name: 'sluice gate: churn@2', tests: '5', failures: '2' })
    const properties = Object.fromEntries(
      suite.children[0]!.children.map((p) => [p.attributes.name, p.attributes.value]),
    )
    expect(properties).toMatchObject({ candidate: 'churn@2', note: result.note })
    const cases = suite.children.filter((c) => c.name === 'testcase')
    expect(cases.map((c) => [c.attributes.name, c.attributes.classname, c.children[0]!.name])).toEqual([
      ['accuracy threshold', 'sluice.gate.metrics', 'failure'],
      ['a<b & "c" \'d\' threshold', 'sluice.gate.metrics', 'failure'],
      ['roc_auc min_absolute_change', 'sluice.gate.metrics', 'system-out'],
      ['pipe|col=x|y recall threshold', 'sluice.gate.slices', 'system-out'],
      ['model_size_mb budget', 'sluice.gate.budgets', 'system-out'],
    ])
    const failure = cases[1]!.children[0]!
    // The control character cannot be written in XML 1.0 at all; everything else survives.
    expect(failure.attributes.message).toBe(result.rules[1]!.reason.replace('\u0001', ''))
    expect(failure.attributes.message).toContain('"a<b & "c" \'d\'"')
    expect(failure.attributes.type).toBe('threshold')
    expect(failure.text).toBe(`observed: —\nexpected: >= 1\n${failure.attributes.message}`)
    expect(cases[2]!.children[0]!.text).toBe(`passes: ${result.note}`)
  })
})

describe('Markdown summary', () => {
  it('has a verdict, the note and one table row per rule, with pipes escaped', () => {
    const md = renderGateMarkdown(result)
    const lines = md.trimEnd().split('\n')
    expect(lines[0]).toBe('### ❌ gate failed: 2 of 5 rules — churn@2')
    expect(lines).toContain(`> ${result.note}`)
    const rows = lines.filter((l) => /^\| (✅|❌) \|/.test(l))
    expect(rows).toHaveLength(5)
    expect(rows[0]).toBe('| ❌ | accuracy threshold | 0.8 | >= 0.9 | 0.8 is below the threshold 0.9 |')
    expect(rows[3]).toContain('| pipe\\|col=x\\|y recall threshold |')
    expect(rows[1]).toContain('a&lt;b')
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length).toBe(7)
  })
})
