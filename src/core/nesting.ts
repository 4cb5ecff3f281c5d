/**
 * How deep the lists and mappings (arrays and objects) of a file or request body sluice reads may
 * nest. Configurations need a handful of levels; what lies deeper is refused where it is read,
 * because code further on (JSON.stringify, schema checks, the YAML parser itself) recurses and
 * would overflow the stack. The model server's protocol has its own limit (serving/protocol).
 */
export const MAX_NESTING = 64

/** Whether `value` nests arrays or objects more than `max` levels deep. Any depth is safe to walk. */
export function nestsDeeperThan(value: unknown, max = MAX_NESTING): boolean {
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (depth >= max) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1])
    }
  }
  return false
}

/** The sentence every reader uses for a value nested too deep; `where` names the file (and line) or body. */
export const tooDeep = (where: string) =>
  `${where}: lists or objects nested more than ${MAX_NESTING} levels deep; sluice reads no deeper, so flatten them`
