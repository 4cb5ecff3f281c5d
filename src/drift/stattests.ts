import { andersonKSamp } from '../stats/anderson.js'
import { chiSquare, gTest, twoProportionZ } from '../stats/contingency.js'
import { cramerVonMises2Samp } from '../stats/cramer-von-mises.js'
import {
  energyDistance,
  hellingerFromCoefficient,
  jensenShannonDistance,
  klDivergence,
  populationStd,
  psi,
  totalVariation,
  wassersteinDistance,
} from '../stats/distances.js'
import { eppsSingleton2Samp } from '../stats/epps-singleton.js'
import { fisherExact2x2 } from '../stats/fisher.js'
import { ks2Samp } from '../stats/ks.js'
import { mannWhitneyU } from '../stats/mann-whitney.js'
import { mmdPermutationPValue, tvdPermutationPValue } from '../stats/permutation.js'
import { tTestPooled } from '../stats/t-test.js'
import { binnedShares, hellingerCoefficient } from './binning.js'
import type { PreparedColumn } from './prepare.js'
import type { DriftColumnType, DriftOptions } from './types.js'

/** How a score is judged against its threshold: Evidently's comparator for each test. */
type Comparator = 'p<' | 'p<=' | 'd>=' | 'd>'

export interface TestContext {
  binning: DriftOptions['binning']
  seed: number
}

/**
 * A drift test: registered once with its Evidently name, the column types a user may name it
 * for, its default threshold, and whether its score is a p-value (drift below the threshold) or a
 * distance (drift at or above it).
 */
export interface StatTest {
  name: string
  /** Evidently's display name. */
  displayName: string
  types: DriftColumnType[]
  defaultThreshold: number
  comparator: Comparator
  score(col: PreparedColumn, ctx: TestContext): number
}

export const isPValue = (t: StatTest) => t.comparator.startsWith('p')

export function drifted(t: StatTest, score: number, threshold: number): boolean {
  switch (t.comparator) {
    case 'p<':
      return score < threshold
    case 'p<=':
      return score <= threshold
    case 'd>=':
      return score >= threshold
    case 'd>':
      return score > threshold
  }
}

/** Expected counts of the current sample under the reference's shares (chisquare, g_test). */
function observedExpected(col: PreparedColumn): { observed: Float64Array; expected: Float64Array } {
  const c = col.categories()
  const k = c.nCur / c.nRef
  return { observed: c.cur, expected: c.ref.map((x) => x * k) }
}

const STAT_TESTS: StatTest[] = [
  {
    name: 'ks',
    displayName: 'K-S p_value',
    types: ['num'],
    defaultThreshold: 0.05,
    comparator: 'p<=',
    score: (col) => ks2Samp(col.numbers().ref, col.numbers().cur).pvalue,
  },
  {
    name: 'chisquare',
    displayName: 'chi-square p_value',
    types: ['cat'],
    defaultThreshold: 0.05,
    comparator: 'p<',
    score: (col) => {
      const { observed, expected } = observedExpected(col)
      return chiSquare(observed, expected).pvalue
    },
  },
  {
    name: 'z',
    displayName: 'Z-test p_value',
    types: ['cat'],
    defaultThreshold: 0.05,
    comparator: 'p<',
    score: (col) => {
      const c = col.categories()
      const refKinds = c.ref.filter((x) => x > 0).length
      const curKinds = c.cur.filter((x) => x > 0).length
      if (c.keys.length === 1 && refKinds === 1 && curKinds === 1) return 1
      // "Success" is every value but the smallest category, as Evidently codes it.
      return twoProportionZ(c.nRef - c.ref[0]!, c.nRef, c.nCur - c.cur[0]!, c.nCur).pvalue
    },
  },
  {
    name: 'wasserstein',
    displayName: 'Wasserstein distance (normed)',
    types: ['num'],
    defaultThreshold: 0.1,
    comparator: 'd>=',
    score: (col) => {
      const { ref, cur } = col.numbers()
      return wassersteinDistance(ref, cur) / Math.max(populationStd(ref), 0.001)
    },
  },
  {
    name: 'psi',
    displayName: 'PSI',
    types: ['cat', 'num'],
    defaultThreshold: 0.1,
    comparator: 'd>=',
    score: (col, ctx) => {
      const { ref, cur } = binnedShares(col, true, ctx.binning)
      return psi(ref, cur)
    },
  },
  {
    name: 'kl_div',
    displayName: 'Kullback-Leibler divergence',
    types: ['cat', 'num'],
    defaultThreshold: 0.1,
    comparator: 'd>=',
    score: (col, ctx) => {
      const { ref, cur } = binnedShares(col, true, ctx.binning)
      return klDivergence(ref, cur)
    },
  },
  {
    name: 'jensenshannon',
    displayName: 'Jensen-Shannon distance',
    types: ['cat', 'num'],
    defaultThreshold: 0.1,
    comparator: 'd>=',
    score: (col, ctx) => {
      const { ref, cur } = binnedShares(col, false, ctx.binning)
      return jensenShannonDistance(ref, cur)
    },
  },
  {
    name: 'hellinger',
    displayName: 'Hellinger distance',
    types: ['cat', 'num'],
    defaultThreshold: 0.1,
    comparator: 'd>=',
    score: (col) => hellingerFromCoefficient(hellingerCoefficient(col)),
  },
  {
    name: 'anderson',
    displayName: 'Anderson-Darling',
    types: ['num'],
    defaultThreshold: 0.1,
    comparator: 'p<',
    score: (col) => andersonKSamp([col.numbers().ref, col.numbers().cur]).pvalue,
  },
  {
    name: 'cramer_von_mises',
    displayName: 'Cramer-von Mises',
    types: ['num'],
    defaultThreshold: 0.1,
    comparator: 'p<=',
    score: (col) => cramerVonMises2Samp(col.numbers().ref, col.numbers().cur).pvalue,
  },
  {
    name: 'ed',
    displayName: 'Energy-distance',
    types: ['num'],
    defaultThreshold: 0.1,
    comparator: 'd>',
    score: (col) => energyDistance(col.numbers().ref, col.numbers().cur),
  },
  {
    name: 'es',
    displayName: 'Epps-Singleton',
    types: ['num'],
    defaultThreshold: 0.05,
    comparator: 'p<',
    score: (col) => eppsSingleton2Samp(col.numbers().ref, col.numbers().cur).pvalue,
  },
  {
    name: 'fisher_exact',
    displayName: "Fisher's Exact test",
    types: ['cat'],
    defaultThreshold: 0.1,
    comparator: 'p<',
    score: (col) => {
      const c = col.categories()
      if (c.keys.length > 2) {
        throw new Error(
          `fisher_exact compares two categories; this column has ${c.keys.length} — use chisquare or g_test`,
        )
      }
      if (c.keys.length < 2) return 1
      return fisherExact2x2(c.cur[1]!, c.cur[0]!, c.ref[1]!, c.ref[0]!).pvalue
    },
  },
  {
    name: 'g_test',
    displayName: 'g_test',
    types: ['cat'],
    defaultThreshold: 0.1,
    comparator: 'p<',
    score: (col) => {
      const { observed, expected } = observedExpected(col)
      return gTest(observed, expected).pvalue
    },
  },
  {
    name: 'mannw',
    displayName: 'Mann-Whitney U-rank test',
    types: ['num'],
    defaultThreshold: 0.05,
    comparator: 'p<',
    // Two-sided: Evidently's one-sided variant never flags a current sample shifted downwards.
    score: (col) => mannWhitneyU(col.numbers().ref, col.numbers().cur).pvalue,
  },
  {
    name: 't_test',
    displayName: 't_test',
    types: ['num'],
    defaultThreshold: 0.05,
    comparator: 'p<',
    score: (col) => tTestPooled(col.numbers().ref, col.numbers().cur).pvalue,
  },
  {
    name: 'TVD',
    displayName: 'Total-Variation-Distance',
    types: ['cat'],
    defaultThreshold: 0.1,
    comparator: 'p<',
    score: (col, ctx) => {
      const c = col.categories()
      return tvdPermutationPValue(c.ref, c.cur, totalVariation, ctx.seed)
    },
  },
  {
    name: 'empirical_mmd',
    displayName: 'empirical_mmd',
    types: ['num'],
    defaultThreshold: 0.1,
    comparator: 'p<',
    score: (col, ctx) => mmdPermutationPValue(col.numbers().ref, col.numbers().cur, ctx.seed),
  },
]

const BY_NAME = new Map(STAT_TESTS.map((t) => [t.name, t]))

export function statTest(name: string): StatTest | undefined {
  return BY_NAME.get(name)
}

export function statTestsFor(type: DriftColumnType): string[] {
  return STAT_TESTS.filter((t) => t.types.includes(type)).map((t) => t.name)
}

export const STAT_TEST_NAMES = STAT_TESTS.map((t) => t.name)
