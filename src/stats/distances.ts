/**
 * Distances between two samples or two binned distributions (SciPy's definitions). Samples are
 * sorted Float64Arrays of finite values; distributions are aligned arrays of shares or counts.
 */

/**
 * ∫ |F_u − F_v|^p dx over the pooled sorted values, by one merge of the two sorted samples
 * (SciPy's `_cdf_distance`, without building the pooled array).
 */
function cdfIntegral(u: Float64Array, v: Float64Array, power: 1 | 2): number {
  const nu = u.length
  const nv = v.length
  let i = 0
  let j = 0
  let prev = Number.NaN
  let sum = 0
  while (i < nu || j < nv) {
    const x = j >= nv || (i < nu && u[i]! <= v[j]!) ? u[i]! : v[j]!
    if (x > prev) {
      const d = Math.abs(i / nu - j / nv)
      sum += (power === 1 ? d : d * d) * (x - prev)
    }
    while (i < nu && u[i] === x) i++
    while (j < nv && v[j] === x) j++
    prev = x
  }
  return sum
}

/** First Wasserstein distance (earth mover's distance) between two samples. */
export function wassersteinDistance(u: Float64Array, v: Float64Array): number {
  return cdfIntegral(u, v, 1)
}

/** Energy distance: √2 · (∫ (F_u − F_v)² dx)^½, as `scipy.stats.energy_distance`. */
export function energyDistance(u: Float64Array, v: Float64Array): number {
  return Math.SQRT2 * Math.sqrt(cdfIntegral(u, v, 2))
}

/** Population standard deviation (ddof 0). */
export function populationStd(x: Float64Array): number {
  const n = x.length
  let mean = 0
  for (let i = 0; i < n; i++) mean += x[i]!
  mean /= n
  let ss = 0
  for (let i = 0; i < n; i++) ss += (x[i]! - mean) ** 2
  return Math.sqrt(ss / n)
}

/** Population stability index Σ (r − c)·ln(r / c) over shares that have no zeros. */
export function psi(r: Float64Array, c: Float64Array): number {
  let s = 0
  for (let i = 0; i < r.length; i++) s += (r[i]! - c[i]!) * Math.log(r[i]! / c[i]!)
  return s
}

const normalised = (x: Float64Array): Float64Array => {
  let total = 0
  for (const v of x) total += v
  return x.map((v) => v / total)
}

/** Kullback–Leibler divergence KL(p ‖ q) after normalising both to sum 1 (`scipy.stats.entropy`). */
export function klDivergence(p: Float64Array, q: Float64Array): number {
  const pn = normalised(p)
  const qn = normalised(q)
  let s = 0
  for (let i = 0; i < pn.length; i++) {
    const a = pn[i]!
    if (a > 0) s += a * Math.log(a / qn[i]!)
    else if (a < 0) return Number.POSITIVE_INFINITY
  }
  return s
}

/** Jensen–Shannon distance with the natural log (`scipy.spatial.distance.jensenshannon`). */
export function jensenShannonDistance(p: Float64Array, q: Float64Array): number {
  const pn = normalised(p)
  const qn = normalised(q)
  let js = 0
  for (let i = 0; i < pn.length; i++) {
    const m = (pn[i]! + qn[i]!) / 2
    if (pn[i]! > 0) js += pn[i]! * Math.log(pn[i]! / m)
    if (qn[i]! > 0) js += qn[i]! * Math.log(qn[i]! / m)
  }
  return Math.sqrt(Math.max(js, 0) / 2)
}

/** Hellinger distance √(1 − BC) from a Bhattacharyya coefficient, clipped to [0, 1]. */
export function hellingerFromCoefficient(bc: number): number {
  return Math.sqrt(1 - Math.min(1, Math.max(0, bc)))
}

/** Total variation distance ½ Σ |r/Σr − c/Σc| between two count vectors. */
export function totalVariation(r: Float64Array, c: Float64Array): number {
  let nr = 0
  let nc = 0
  for (let i = 0; i < r.length; i++) {
    nr += r[i]!
    nc += c[i]!
  }
  let s = 0
  for (let i = 0; i < r.length; i++) s += Math.abs(r[i]! / nr - c[i]! / nc)
  return s / 2
}
