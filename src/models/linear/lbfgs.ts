/**
 * Limited-memory BFGS minimisation (two-loop recursion, backtracking line search with the
 * Armijo condition). Deterministic: no randomness, one fixed order of operations.
 */
export function minimizeLbfgs(
  objective: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  options: { maxIter: number; tol: number; memory?: number },
): { x: Float64Array; value: number; iterations: number; converged: boolean } {
  const n = x0.length
  const m = options.memory ?? 10
  const x = Float64Array.from(x0)
  const g = new Float64Array(n)
  let f = objective(x, g)
  const S: Float64Array[] = []
  const Y: Float64Array[] = []
  const rho: number[] = []
  const xNew = new Float64Array(n)
  const gNew = new Float64Array(n)
  const dir = new Float64Array(n)
  const alpha = new Float64Array(m)
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0
    for (let i = 0; i < n; i++) s += a[i]! * b[i]!
    return s
  }
  const norm = (a: Float64Array) => Math.sqrt(dot(a, a))
  for (let it = 0; it < options.maxIter; it++) {
    if (norm(g) <= options.tol * Math.max(1, norm(x))) return { x, value: f, iterations: it, converged: true }
    // Two-loop recursion: dir = −H·g.
    dir.set(g)
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(S[k]!, dir)
      for (let i = 0; i < n; i++) dir[i]! -= alpha[k]! * Y[k]![i]!
    }
    const last = S.length - 1
    const gamma = last >= 0 ? dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!) : 1 / Math.max(norm(g), 1e-12)
    for (let i = 0; i < n; i++) dir[i]! *= gamma
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k]! * dot(Y[k]!, dir)
      for (let i = 0; i < n; i++) dir[i]! += S[k]![i]! * (alpha[k]! - beta)
    }
    for (let i = 0; i < n; i++) dir[i] = -dir[i]!
    let slope = dot(g, dir)
    if (slope >= 0) {
      // Not a descent direction: restart from steepest descent.
      S.length = Y.length = rho.length = 0
      for (let i = 0; i < n; i++) dir[i] = -g[i]!
      slope = dot(g, dir)
    }
    let step = 1
    let fNew = 0
    for (let tries = 0; ; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * dir[i]!
      fNew = objective(xNew, gNew)
      if (fNew <= f + 1e-4 * step * slope || tries >= 40) break
      step *= 0.5
    }
    const s = new Float64Array(n)
    const y = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!
      y[i] = gNew[i]! - g[i]!
    }
    const sy = dot(s, y)
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift()
        Y.shift()
        rho.shift()
      }
      S.push(s)
      Y.push(y)
      rho.push(1 / sy)
    }
    const improvement = f - fNew
    x.set(xNew)
    g.set(gNew)
    f = fNew
    if (Math.abs(improvement) <= 1e-12 * Math.max(1, Math.abs(f)))
      return { x, value: f, iterations: it + 1, converged: true }
  }
  return { x, value: f, iterations: options.maxIter, converged: false }
}
