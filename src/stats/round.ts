/** NumPy's rounding: halves go to the even neighbour (2.5 → 2, 3.5 → 4). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x)
  const d = x - f
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f
}
