/**
 * Multiple-testing adjustment of p-values: Bonferroni (p·m, capped at 1) or Benjamini–Hochberg
 * (step-up: p(i)·m / i, made monotone from the largest p down). Returns adjusted values in the
 * input order.
 */
export function adjustPValues(pvalues: number[], method: 'bonferroni' | 'benjamini-hochberg'): number[] {
  const m = pvalues.length
  if (method === 'bonferroni') return pvalues.map((p) => Math.min(1, p * m))
  const order = pvalues.map((_, i) => i).sort((a, b) => pvalues[a]! - pvalues[b]!)
  const adjusted = new Array<number>(m)
  let running = 1
  for (let rank = m; rank >= 1; rank--) {
    const i = order[rank - 1]!
    running = Math.min(running, (pvalues[i]! * m) / rank)
    adjusted[i] = Math.min(1, running)
  }
  return adjusted
}
