import { isMap, isScalar, LineCounter, parseDocument } from 'yaml'
import type { z } from 'zod'
import { SluiceError } from './errors.js'
import { MAX_NESTING, nestsDeeperThan, tooDeep } from './nesting.js'
import { lineTooDeep } from './yaml-depth.js'

/**
 * Parses a YAML document and validates it with a zod schema. Every problem is reported with the
 * file, the line, the key path, what was expected and what was found, e.g.
 *   sluice.yaml:3: store.backend: expected one of "sqlite"|"postgres", got "mysql"
 */
export function parseYamlWith<S extends z.ZodType>(schema: S, text: string, file: string): z.output<S> {
  const { doc, lineCounter } = parsed(text, file)
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!
    const line = lineCounter.linePos(first.pos[0]).line
    // The parser recurses into nested collections; it reports its own stack overflow as an error.
    if (first.message.startsWith('Maximum call stack size exceeded'))
      throw new SluiceError('INVALID_CONFIG', tooDeep(`${file}:${line}`))
    throw new SluiceError(
      'INVALID_CONFIG',
      `${file}:${line}: not valid YAML: ${first.message.split('\n')[0]}`,
    )
  }
  const value = toValue(doc, file) ?? {}
  const result = schema.safeParse(value)
  if (result.success) return result.data

  const lineOf = (path: PropertyKey[]): number => {
    for (let p = path; ; p = p.slice(0, -1)) {
      const node = p.length === 0 ? doc.contents : doc.getIn(p as unknown[], true)
      const range = (node as { range?: [number, number] } | undefined)?.range
      if (range) return lineCounter.linePos(range[0]).line
      if (p.length === 0) return 1
    }
  }
  const keyLine = (path: PropertyKey[], key: string): number => {
    const parent = path.length === 0 ? doc.contents : doc.getIn(path as unknown[], true)
    if (isMap(parent)) {
      const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === key)
      const range = (pair?.key as { range?: [number, number] } | undefined)?.range
      if (range) return lineCounter.linePos(range[0]).line
    }
    return lineOf(path)
  }

  const messages = result.error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : '(top level)'
    if (issue.code === 'unrecognized_keys') {
      const known = objectKeysAt(schema, issue.path)
      const key = issue.keys[0]!
      const expected = known.length ? `; expected one of: ${known.join(', ')}` : ''
      const prefix = issue.path.length ? `${issue.path.join('.')}.` : ''
      return `${file}:${keyLine(issue.path, key)}: unknown key "${prefix}${issue.keys.join(`", "${prefix}`)}"${expected}`
    }
    const got = describe(valueAt(value, issue.path))
    const expected =
      issue.code === 'invalid_value'
        ? `expected ${issue.values.length > 1 ? 'one of ' : ''}${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
        : issue.code === 'invalid_type'
          ? `expected ${issue.expected}`
          : issue.message
    return `${file}:${lineOf(issue.path)}: ${where}: ${expected}, got ${got}`
  })
  throw new SluiceError('INVALID_CONFIG', messages.join('\n'), { details: { file, issues: messages } })
}

/**
 * The same text is often validated more than once in one process (sluice.yaml by the config, the
 * pipeline and the gates); the parsed documents of the last few texts are kept. Documents are only
 * read here, never changed.
 */
const recent = new Map<string, { doc: ReturnType<typeof parseDocument>; lineCounter: LineCounter }>()

function parsed(text: string, file: string) {
  let hit = recent.get(text)
  if (!hit) {
    const deep = lineTooDeep(text)
    if (deep !== null) throw new SluiceError('INVALID_CONFIG', tooDeep(`${file}:${deep}`))
    const lineCounter = new LineCounter()
    hit = { doc: parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true }), lineCounter }
    if (recent.size >= 4) recent.delete(recent.keys().next().value!)
    recent.set(text, hit)
  }
  return hit
}

/**
 * The document as plain values. Aliases that expand to more than the parser's limit of nodes (a
 * "billion laughs" document) and nesting deeper than MAX_NESTING are refused in one sentence.
 */
function toValue(doc: ReturnType<typeof parseDocument>, file: string): unknown {
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (e) {
    if (e instanceof ReferenceError && /alias count/i.test(e.message))
      throw new SluiceError(
        'INVALID_CONFIG',
        `${file}: its aliases (*name) expand to too many values, as in a "billion laughs" document; write the repeated values out`,
      )
    if (e instanceof RangeError) throw new SluiceError('INVALID_CONFIG', tooDeep(file))
    throw e
  }
  if (nestsDeeperThan(value, MAX_NESTING)) throw new SluiceError('INVALID_CONFIG', tooDeep(file))
  return value
}

/** The yaml library's own default, stated: how many values aliases may expand to in one document. */
const MAX_ALIAS_COUNT = 100

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  let v = value
  for (const k of path) v = v == null ? undefined : (v as Record<PropertyKey, unknown>)[k]
  return v
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (typeof v === 'string') return JSON.stringify(v)
  if (Array.isArray(v)) return 'a list'
  if (v !== null && typeof v === 'object') return 'a mapping'
  return String(v)
}

/** Walks a zod schema along a path to list the keys an object there accepts. */
function objectKeysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  let s: z.ZodType | undefined = unwrap(schema)
  for (const key of path) {
    if (!s) return []
    const def = defOf(s)
    if (def.type === 'object') s = def.shape?.[key as string]
    else if (def.type === 'array') s = def.element
    else if (def.type === 'record') s = def.valueType
    else return []
    s = s && unwrap(s)
  }
  const def = s ? defOf(s) : undefined
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : []
}

interface Def {
  type: string
  shape?: Record<string, z.ZodType>
  element?: z.ZodType
  valueType?: z.ZodType
  innerType?: z.ZodType
  in?: z.ZodType
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s
  for (;;) {
    const def = defOf(cur)
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable') && def.innerType) {
      cur = def.innerType
    } else if (def.type === 'pipe' && def.in) cur = def.in
    else return cur
  }
}
