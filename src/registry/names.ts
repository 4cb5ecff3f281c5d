import { SluiceError } from '../core/errors.js'

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export type NameKind = 'model' | 'alias' | 'dataset' | 'deployment' | 'token'

/**
 * Names of models, aliases and datasets: a letter or digit, then up to 127 letters, digits, `.`,
 * `_` or `-`. `latest` and pure numbers are reserved (they are version references), which also
 * keeps every name free of `/`, `..` and anything else that could reach a path or a URL.
 */
export function checkName(kind: NameKind, name: string): string {
  if (!NAME_RE.test(name)) {
    throw new SluiceError(
      'INVALID_NAME',
      `invalid ${kind} name "${name.slice(0, 140)}": use 1-128 characters from A-Z a-z 0-9 . _ - starting with a letter or digit`,
    )
  }
  if (name === 'latest' || /^\d+$/.test(name)) {
    throw new SluiceError(
      'INVALID_NAME',
      `"${name}" is reserved for version references; choose another ${kind} name`,
    )
  }
  return name
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.:/-]{0,254}$/

/** Tag, parameter and metric keys: usable unquoted in `--where` conditions and as YAML keys. */
export function checkKey(kind: 'tag' | 'metric' | 'param', key: string): string {
  if (!KEY_RE.test(key)) {
    throw new SluiceError(
      'INVALID_NAME',
      `invalid ${kind} key "${key.slice(0, 140)}": start with a letter or _, then letters, digits or _ . : / - (at most 255)`,
    )
  }
  return key
}
