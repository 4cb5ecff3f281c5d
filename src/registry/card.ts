import type { DatasetVersionDoc, ModelVersionDoc, TensorSpec } from '../core/types.js'

/** A model card in Markdown, generated from the registry's metadata only. */
export function renderModelCard(v: ModelVersionDoc, datasets: Map<string, DatasetVersionDoc>): string {
  const out: string[] = []
  out.push(`# ${v.name} — version ${v.version}`, '')
  const aliases = v.aliases.length ? v.aliases.map((a) => `\`${a}\``).join(', ') : 'none'
  const status = v.status_reason ? `${v.status} (${v.status_reason})` : v.status
  out.push(`**Status:** ${status} · **Aliases:** ${aliases} · **Registered:** ${v.created_at}`, '')
  if (v.description) out.push(v.description, '')

  out.push('## Artifact', '', '| | |', '|---|---|')
  out.push(`| flavor | ${v.flavor} |`)
  out.push(`| digest | \`${v.artifact.digest}\` |`)
  out.push(
    `| size | ${formatBytes(v.artifact.size)} (${v.artifact.kind === 'dir' ? 'folder' : 'file'}) |`,
    '',
  )

  out.push('## Signature', '')
  if (!v.signature) out.push('_No signature recorded._', '')
  else {
    out.push(
      '**Inputs**',
      '',
      ...tensorTable(v.signature.inputs),
      '',
      '**Outputs**',
      '',
      ...tensorTable(v.signature.outputs),
      '',
    )
  }

  out.push('## Metrics', '')
  out.push(
    ...keyValueTable(
      'metric',
      Object.entries(v.metrics).map(([k, x]) => [k, formatNumber(x)]),
    ),
    '',
  )
  out.push('## Parameters', '')
  out.push(
    ...keyValueTable(
      'parameter',
      Object.entries(v.params).map(([k, x]) => [k, String(x)]),
    ),
    '',
  )
  out.push('## Tags', '')
  out.push(...keyValueTable('tag', Object.entries(v.tags)), '')

  out.push('## Lineage', '')
  for (const role of ['train', 'eval'] as const) {
    const used = v.lineage.datasets.filter((d) => d.role === role)
    const label = role === 'train' ? 'Trained on' : 'Evaluated on'
    if (used.length === 0) out.push(`- ${label}: _not recorded_`)
    for (const d of used) {
      const ds = datasets.get(`${d.name}@${d.version}`)
      const shape = ds
        ? `, ${ds.rows.toLocaleString('en-US')} rows × ${ds.columns.length} columns (${ds.format})`
        : ''
      out.push(`- ${label}: \`${d.name}@${d.version}\` — \`${d.digest}\`${shape}`)
    }
  }
  out.push(`- Parent version: ${v.lineage.parent_version ?? '_none_'}`)
  out.push(`- Pipeline run: ${v.lineage.run_id ?? '_none_'}`)
  const code = v.lineage.code
  out.push(
    `- Code: ${code ? `git \`${code.commit}\`${code.dirty ? ' (uncommitted changes)' : ''}` : '_not in a git repository_'}`,
  )
  const env = v.lineage.environment
  if (env) {
    const locks = Object.entries(env.lockfiles)
      .map(([f, h]) => `${f} \`${h.slice(0, 19)}…\``)
      .join(', ')
    out.push(
      `- Environment: Node ${env.node}, ${env.os}, ${env.arch}, sluice ${env.sluice}${locks ? `; ${locks}` : ''}`,
    )
  } else out.push('- Environment: _not recorded_')

  const schemas = v.lineage.datasets
    .map((d) => datasets.get(`${d.name}@${d.version}`))
    .filter((d) => d !== undefined)
  if (schemas.length) {
    out.push('', '## Data schema', '')
    for (const ds of schemas) {
      out.push(
        `**${ds.name}@${ds.version}**`,
        '',
        '| column | type | stored as | missing |',
        '|---|---|---|---|',
      )
      for (const c of ds.columns) out.push(`| ${c.name} | ${c.type} | ${c.dtype} | ${c.missing} |`)
      out.push('')
    }
  }
  return `${out.join('\n').trimEnd()}\n`
}

function tensorTable(specs: TensorSpec[]): string[] {
  return [
    '| name | datatype | shape |',
    '|---|---|---|',
    ...specs.map((s) => `| ${s.name} | ${s.datatype} | [${s.shape.join(', ')}] |`),
  ]
}

function keyValueTable(label: string, rows: [string, string][]): string[] {
  if (rows.length === 0) return [`_No ${label}s recorded._`]
  return [
    `| ${label} | value |`,
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v.replaceAll('|', '\\|')} |`),
  ]
}

function formatNumber(x: number): string {
  return String(Number(x.toPrecision(6)))
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`
}
