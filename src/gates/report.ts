import { fmt } from './conditions.js'
import type { GateResult, GateRuleResult } from './types.js'

/** `NAME@VERSION`, or the file name for a model evaluated from a file (`unnamed model` when it has none). */
const modelLabel = (m: { name: string | null; version: number | null }) =>
  `${m.name ?? 'unnamed model'}${m.version === null ? '' : `@${m.version}`}`

export const formatObserved = (r: GateRuleResult): string => (r.observed === null ? '—' : fmt(r.observed))
export const formatExpected = (r: GateRuleResult): string => `${r.operator} ${fmt(r.expected)}`

/** One line saying what was compared with what, and the verdict. */
export function gateHeadline(result: GateResult): string {
  const against = result.baseline ? ` vs ${modelLabel(result.baseline)}` : ''
  const verdict = result.passed
    ? `passed (${result.summary.rules} rules)`
    : `failed: ${result.summary.failed} of ${result.summary.rules} rules`
  return `gate ${verdict} — ${modelLabel(result.candidate)}${against}`
}

/** How the significance rows were computed, or null without any. */
export function bootstrapLine(result: GateResult): string | null {
  const b = result.bootstrap
  return b
    ? `significance: paired percentile bootstrap, ${b.resamples} resamples of ${b.rows} rows, seed ${b.seed}`
    : null
}

/** A Markdown summary, e.g. for GitHub Actions' job summary. */
export function renderGateMarkdown(result: GateResult): string {
  // Pipes would split the cell; a `<` before a letter could open an HTML tag (`<=` cannot).
  const cell = (s: string) =>
    s
      .replace(/\r?\n/g, ' ')
      .replace(/\|/g, '\\|')
      .replace(/<(?=[A-Za-z/!?])/g, '&lt;')
  const lines = [
    `### ${result.passed ? '✅' : '❌'} ${cell(gateHeadline(result))}`,
    '',
    ...(result.note ? [`> ${cell(result.note)}`, ''] : []),
    '| | rule | observed | expected | reason |',
    '|---|---|---|---|---|',
    ...result.rules.map(
      (r) =>
        `| ${r.passed ? '✅' : '❌'} | ${cell(r.name)} | ${cell(formatObserved(r))} | ${cell(formatExpected(r))} | ${cell(r.reason)} |`,
    ),
  ]
  const b = bootstrapLine(result)
  if (b) lines.push('', `<sub>${cell(b)}</sub>`)
  return `${lines.join('\n')}\n`
}

/** JUnit XML: one test case per rule row, a failed row as `<failure message=…>`. */
export function renderGateJunit(result: GateResult): string {
  const { rules, failed } = result.summary
  const counts = `tests="${rules}" failures="${failed}" errors="0"`
  const properties = [
    ['candidate', modelLabel(result.candidate)],
    ['dataset', `${result.candidate.dataset} (${result.candidate.fingerprint})`],
    ...(result.baseline ? [['baseline', modelLabel(result.baseline)]] : []),
    ...(result.note ? [['note', result.note]] : []),
    ...(result.bootstrap
      ? [
          ['bootstrap.seed', String(result.bootstrap.seed)],
          ['bootstrap.resamples', String(result.bootstrap.resamples)],
        ]
      : []),
  ]
  const cases = result.rules.map((r) => {
    const open = `    <testcase name="${xmlAttribute(r.name)}" classname="sluice.gate.${group(r)}" time="0">`
    const detail = `observed: ${formatObserved(r)}\nexpected: ${formatExpected(r)}\n${r.reason}`
    const body = r.passed
      ? `      <system-out>${xmlText(r.reason)}</system-out>`
      : `      <failure message="${xmlAttribute(r.reason)}" type="${r.condition}">${xmlText(detail)}</failure>`
    return [open, body, '    </testcase>'].join('\n')
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sluice gate" ${counts}>`,
    `  <testsuite name="sluice gate: ${xmlAttribute(modelLabel(result.candidate))}" ${counts} skipped="0" time="0">`,
    '    <properties>',
    ...properties.map(([k, v]) => `      <property name="${xmlAttribute(k!)}" value="${xmlAttribute(v!)}"/>`),
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

const group = (r: GateRuleResult) => (r.slice ? 'slices' : r.condition === 'budget' ? 'budgets' : 'metrics')

/** Escapes text for XML content; drops characters XML 1.0 cannot hold at all. */
function xmlText(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
}

/** Escapes text for a double- or single-quoted XML attribute, keeping line breaks (parsers fold raw ones). */
function xmlAttribute(s: string): string {
  return xmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;')
}
