import { isPValue, statTest } from './stattests.js'
import type { ColumnDrift, DriftReport } from './types.js'

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.sub{color:#5b6475;margin-bottom:16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:12px 16px;min-width:150px}
.card b{display:block;font-size:20px}.bad{color:#b42318}.ok{color:#067647}.muted{color:#5b6475}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e8}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eef0f3}th{background:#f0f2f5;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
section.col{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:12px 16px;margin:12px 0}
section.col h3{margin:0 0 4px;font-size:15px}.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;border-radius:2px}
`

const REFERENCE_COLOR = '#4e79a7'
const CURRENT_COLOR = '#f28e2b'

/**
 * A self-contained HTML report (one file, no scripts, no network): the summary, every column
 * sorted by drift, and per column the reference and current distributions as SVG charts drawn
 * by ECharts on the server. Only aggregates go in, never raw rows, so the size does not grow
 * with the data.
 */
export async function renderDriftHtml(report: DriftReport, title = 'Data drift report'): Promise<string> {
  const echarts = await import('echarts')
  const entries = Object.entries(report.columns).sort(([, a], [, b]) => driftRank(b) - driftRank(a))
  const rows = entries.map(([name, c]) => {
    const verdict = c.error
      ? `<span class="bad">error</span>`
      : c.skipped
        ? '<span class="muted">skipped</span>'
        : c.drift_detected
          ? '<b class="bad">drift</b>'
          : '<span class="ok">no drift</span>'
    return `<tr><td><a href="#col-${slug(name)}">${esc(name)}</a></td><td>${c.column_type}${c.role !== 'feature' ? ` (${c.role})` : ''}</td><td>${esc(c.stattest ?? '')}</td><td class="num">${fmt(c.threshold)}</td><td class="num">${fmt(c.score)}${c.adjusted_score !== undefined ? ` <span class="muted">(adj. ${fmt(c.adjusted_score)})</span>` : ''}</td><td>${verdict}</td><td class="num">${pct(c.missing.reference)} → ${pct(c.missing.current)}</td></tr>`
  })
  const sections = entries.map(([name, c]) => {
    const head = `<h3 id="col-${slug(name)}">${esc(name)} <span class="muted">· ${c.column_type}${c.stattest ? ` · ${esc(c.stattest_name ?? c.stattest)}` : ''}</span></h3>`
    if (c.error) return `<section class="col">${head}<p class="bad">${esc(c.error)}</p></section>`
    if (c.skipped) return `<section class="col">${head}<p class="muted">${esc(c.skipped)}</p></section>`
    const verdict = c.drift_detected
      ? '<b class="bad">drift detected</b>'
      : '<span class="ok">no drift</span>'
    return `<section class="col">${head}<p>${verdict}: score ${fmt(c.score)} against threshold ${fmt(c.threshold)}</p>${chart(echarts, c)}</section>`
  })
  const drifted = report.number_of_drifted_columns
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><main>
<h1>${esc(title)}</h1>
<div class="sub">reference ${report.reference_rows.toLocaleString('en-US')} rows · current ${report.current_rows.toLocaleString('en-US')} rows${report.correction !== 'none' ? ` · ${report.correction} correction` : ''}</div>
<div class="cards">
<div class="card">dataset drift<b class="${report.dataset_drift ? 'bad' : 'ok'}">${report.dataset_drift ? 'yes' : 'no'}</b></div>
<div class="card">drifted columns<b>${drifted} of ${report.number_of_columns}</b></div>
<div class="card">share drifted<b>${pct(report.share_of_drifted_columns)}</b><span class="muted">threshold ${pct(report.drift_share)}</span></div>
</div>
${report.missing_columns.in_current.length ? `<p class="bad">Not in the current data: ${report.missing_columns.in_current.map(esc).join(', ')}</p>` : ''}
${report.missing_columns.in_reference.length ? `<p class="muted">Only in the current data (not tested): ${report.missing_columns.in_reference.map(esc).join(', ')}</p>` : ''}
<h2>Columns</h2>
<table><thead><tr><th>column</th><th>type</th><th>test</th><th>threshold</th><th>score</th><th>verdict</th><th>missing</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
<h2>Distributions</h2>
<div class="legend muted"><span style="background:${REFERENCE_COLOR}"></span>reference<span style="background:${CURRENT_COLOR}"></span>current</div>
${sections.join('\n')}
</main></body></html>
`
}

/** Drifted columns first (by how far past the threshold), then the others, errors last. */
function driftRank(c: ColumnDrift): number {
  if (c.error || c.skipped) return -2
  if (c.score === undefined || c.threshold === undefined || !Number.isFinite(c.score)) return -1
  const test = c.stattest === undefined ? undefined : statTest(c.stattest)
  const pvalue = test !== undefined && isPValue(test)
  const margin = pvalue ? c.threshold - (c.adjusted_score ?? c.score) : c.score - c.threshold
  return (c.drift_detected ? 1 : 0) * 1e6 + margin
}

function chart(echarts: typeof import('echarts'), c: ColumnDrift): string {
  const ref = c.reference_distribution
  const cur = c.current_distribution
  if (!ref || !cur) return ''
  const numeric = c.column_type === 'num' && ref.x.length === ref.y.length + 1
  const labels = numeric
    ? ref.y.map((_, i) => `${short(ref.x[i] as number)}–${short(ref.x[i + 1] as number)}`)
    : ref.x.map((x) => String(x))
  const instance = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 1000, height: 240 })
  instance.setOption({
    animation: false,
    grid: { left: 56, right: 16, top: 12, bottom: 56 },
    xAxis: {
      type: 'category',
      data: labels,
      axisLabel: { rotate: labels.length > 12 ? 40 : 0, fontSize: 10, hideOverlap: true },
    },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => `${Math.round(v * 1000) / 10}%` } },
    series: [
      {
        name: 'reference',
        type: 'bar',
        data: ref.y.map(round4),
        itemStyle: { color: REFERENCE_COLOR },
        barGap: '5%',
      },
      { name: 'current', type: 'bar', data: cur.y.map(round4), itemStyle: { color: CURRENT_COLOR } },
    ],
  })
  try {
    return instance.renderToSVGString()
  } finally {
    instance.dispose() // without it the process keeps a timer alive and never exits
  }
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4
const short = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)
    ? v.toExponential(2)
    : String(Number(v.toPrecision(4)))
const fmt = (v: number | undefined) =>
  v === undefined ? '' : Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v)
const pct = (v: number) => `${Math.round(v * 1000) / 10}%`
const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_')
const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
