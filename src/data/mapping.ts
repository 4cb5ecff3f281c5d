import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { SluiceError } from '../core/errors.js'
import type { ColumnType } from '../core/types.js'
import { parseYamlWith } from '../core/yaml.js'
import type { Column, Frame } from './frame.js'
import { inferColumnType } from './infer.js'

/**
 * Which column plays which part, as in Evidently's ColumnMapping. Every key is optional: columns
 * not named keep their inferred type.
 */
export const columnMappingSchema = z.strictObject({
  target: z.string().optional(),
  prediction: z.string().optional(),
  numerical: z.array(z.string()).optional(),
  categorical: z.array(z.string()).optional(),
  text: z.array(z.string()).optional(),
  datetime: z.string().optional(),
  id: z.string().optional(),
  /** Types the target and prediction: categorical for classification, numerical for regression. */
  task: z.enum(['classification', 'regression']).optional(),
})

export type ColumnMapping = z.output<typeof columnMappingSchema>

export function readMappingFile(file: string): ColumnMapping {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new SluiceError('UNREADABLE_FILE', `mapping file ${file} cannot be read; check the path`)
  }
  return parseYamlWith(columnMappingSchema, text, file)
}

/** Flags win over the file, key by key. */
export function mergeMappings(file: ColumnMapping, flags: ColumnMapping): ColumnMapping {
  return { ...file, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) }
}

export type ColumnRole = 'feature' | 'target' | 'prediction'

export interface MappedColumn {
  name: string
  type: ColumnType
  role: ColumnRole
}

/**
 * The columns a drift report (or a trainer) works on, with their types, in frame order. The id
 * and datetime columns are left out, as are datetime-valued columns. Errors name the column and
 * list the columns there are.
 */
export function mapColumns(frame: Frame, mapping: ColumnMapping): MappedColumn[] {
  const byName = new Map(frame.columns.map((c) => [c.name, c]))
  const mustExist = (name: string, key: string): Column => {
    const col = byName.get(name)
    if (!col) {
      throw new SluiceError(
        'INVALID_INPUT',
        `column "${name}" given as ${key} is not in the data; its columns are ${[...byName.keys()].join(', ')}`,
      )
    }
    return col
  }
  const assigned = new Map<string, string>()
  const claim = (name: string, key: string) => {
    mustExist(name, key)
    const previous = assigned.get(name)
    if (previous && previous !== key)
      throw new SluiceError(
        'INVALID_INPUT',
        `column "${name}" is given both as ${previous} and as ${key}; give it once`,
      )
    assigned.set(name, key)
  }
  for (const key of ['target', 'prediction', 'datetime', 'id'] as const)
    if (mapping[key]) claim(mapping[key], key)
  for (const key of ['numerical', 'categorical', 'text'] as const)
    for (const name of mapping[key] ?? []) claim(name, key)

  const out: MappedColumn[] = []
  for (const col of frame.columns) {
    const key = assigned.get(col.name)
    if (key === 'datetime' || key === 'id') continue
    if (key === 'numerical') {
      if (col.kind !== 'number') {
        const example = col.kind === 'category' ? ` such as "${col.dictionary[0]}"` : ''
        throw new SluiceError(
          'INVALID_INPUT',
          `column "${col.name}" is given as numerical but holds non-numeric values${example}; list it under categorical or text, or fix the data`,
        )
      }
      out.push({ name: col.name, type: 'numerical', role: 'feature' })
    } else if (key === 'categorical') out.push({ name: col.name, type: 'categorical', role: 'feature' })
    else if (key === 'text') out.push({ name: col.name, type: 'text', role: 'feature' })
    else if (key === 'target' || key === 'prediction') {
      const type: ColumnType =
        mapping.task === 'classification'
          ? 'categorical'
          : mapping.task === 'regression'
            ? 'numerical'
            : inferColumnType(col)
      if (type === 'numerical' && col.kind !== 'number') {
        throw new SluiceError(
          'INVALID_INPUT',
          `${key} column "${col.name}" holds non-numeric values, so it cannot be a regression ${key}; use task: classification`,
        )
      }
      out.push({ name: col.name, type, role: key })
    } else {
      const type = inferColumnType(col)
      if (type !== 'datetime') out.push({ name: col.name, type, role: 'feature' })
    }
  }
  return out
}
