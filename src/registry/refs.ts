import { SluiceError } from '../core/errors.js'
import { checkName } from './names.js'

/** What follows `@` in a reference: a version number, `latest`, or an alias. */
export type VersionSelector =
  | { kind: 'number'; version: number }
  | { kind: 'latest' }
  | { kind: 'alias'; alias: string }

export interface ModelRef {
  name: string
  selector: VersionSelector
}

/** Parses `NAME@3`, `NAME@latest` or `NAME@champion`. */
export function parseModelRef(ref: string): ModelRef {
  const at = ref.lastIndexOf('@')
  if (at <= 0 || at === ref.length - 1) {
    throw new SluiceError(
      'INVALID_REFERENCE',
      `"${ref.slice(0, 140)}" is not a model reference; write NAME@VERSION, NAME@latest or NAME@ALIAS (e.g. churn@3, churn@champion)`,
    )
  }
  const name = checkName('model', ref.slice(0, at))
  return { name, selector: parseSelector(ref.slice(at + 1)) }
}

export function parseSelector(s: string): VersionSelector {
  if (/^\d+$/.test(s)) {
    const version = Number(s)
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new SluiceError(
        'INVALID_REFERENCE',
        `version "${s}" is out of range; versions are numbered from 1`,
      )
    }
    return { kind: 'number', version }
  }
  if (s === 'latest') return { kind: 'latest' }
  return { kind: 'alias', alias: checkName('alias', s) }
}

export interface DatasetRef {
  name: string
  version: number | 'latest'
}

/** Parses `NAME` (latest version) or `NAME@VERSION`. */
export function parseDatasetRef(ref: string): DatasetRef {
  const at = ref.lastIndexOf('@')
  if (at === -1) return { name: checkName('dataset', ref), version: 'latest' }
  const name = checkName('dataset', ref.slice(0, at))
  const sel = ref.slice(at + 1)
  if (sel === 'latest') return { name, version: 'latest' }
  if (!/^\d+$/.test(sel) || Number(sel) < 1) {
    throw new SluiceError(
      'INVALID_REFERENCE',
      `"${ref.slice(0, 140)}" is not a dataset reference; write NAME or NAME@VERSION (e.g. flights@2)`,
    )
  }
  return { name, version: Number(sel) }
}

export const formatRef = (name: string, version: number) => `${name}@${version}`
