import { type BinnedFeature, MISSING_BIN } from './bins.js'
import { HIST, STRIDE } from './histogram.js'
import type { RowParallel, SharedTrainingState } from './parallel.js'
import type { Tree } from './tree.js'

export interface GrowerParams {
  maxLeafNodes: number
  maxDepth: number | null
  minSamplesLeaf: number
  l2Regularization: number
  learningRate: number
  growth: 'leaf' | 'depth'
}

/** Categories need this many rows in a node to be placed by a categorical split (scikit-learn's MIN_CAT_SUPPORT). */
const MIN_CAT_SUPPORT = 10
/** At most this many categories go to the left of a categorical split. */
const MAX_CAT_THRESHOLD = 32
const MIN_HESSIAN_TO_SPLIT = 1e-3

interface Split {
  gain: number
  feature: number
  /** Numeric: last bin going left. */
  bin: number
  missingLeft: boolean
  /** Categorical: the bins that go left. */
  leftBins: number[] | null
  leftG: number
  leftH: number
  leftCount: number
}

interface NodeState {
  id: number
  start: number
  end: number
  sumG: number
  sumH: number
  depth: number
  hist: Float64Array | null
  split: Split | null
  /** Ids of the children, once split. */
  children: [number, number] | null
}

/**
 * Grows one regression tree on binned data by histogram gradient boosting's rules (as
 * scikit-learn's HistGradientBoosting): best-first (`leaf`) or level by level (`depth`), gains
 * G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ), missing values sent to whichever side gains more,
 * categorical splits over categories sorted by G/(H + 10). Histograms of the larger child come
 * from the parent's by subtraction. Everything runs in one fixed order, so results are
 * reproducible.
 */
export class TreeGrower {
  private readonly indices: Uint32Array
  private nodes: NodeState[] = []
  private readonly F: number
  /** Histogram buffers no node needs any more, reused instead of allocated. */
  private readonly spare: Float64Array[] = []
  /** Bins row by row (row r's features at r·F …): one pass over a node's rows fills every feature's histogram. */
  private readonly rowBins: Uint8Array
  private readonly g: Float32Array
  private readonly h: Float32Array

  constructor(
    private readonly binned: BinnedFeature[],
    private readonly shared: SharedTrainingState,
    private readonly parallel: RowParallel,
    private readonly p: GrowerParams,
  ) {
    this.indices = shared.indices
    this.F = binned.length
    this.rowBins = shared.rowBins
    this.g = shared.g
    this.h = shared.h
  }

  /**
   * Grows a tree for the current gradients. Returns it and, for each leaf, the range of `rows()`
   * it holds (to update predictions without traversing the tree). The grower is reused across
   * iterations: its buffers are allocated once.
   */
  grow(): { tree: Tree; leaves: { start: number; end: number; value: number }[] } {
    this.indices.set(this.shared.trainRows)
    this.nodes = []
    const root = this.newNode(0, this.indices.length, 0, 0, 0)
    root.hist = this.buildHistogram(root)
    // The root's sums are its histogram's, over any one feature's bins.
    for (let b = 0; b < 256; b++) {
      root.sumG += root.hist[b * STRIDE]!
      root.sumH += root.hist[b * STRIDE + 1]!
    }
    this.findSplit(root)
    const open: NodeState[] = root.split ? [root] : []
    let leaves = 1
    while (open.length && leaves < this.p.maxLeafNodes) {
      const node = this.takeNext(open)
      const [left, right] = this.split(node)
      leaves++
      for (const child of [left, right]) {
        if (this.p.maxDepth !== null && child.depth >= this.p.maxDepth) continue
        if (child.end - child.start < 2 * this.p.minSamplesLeaf) continue
        this.findSplit(child)
        if (child.split) open.push(child)
      }
      // Histograms are only needed by nodes that may still split.
      for (const child of [left, right]) {
        if (!child.split && child.hist) {
          this.spare.push(child.hist)
          child.hist = null
        }
      }
    }
    return this.finish()
  }

  rows(): Uint32Array {
    return this.indices
  }

  private newNode(start: number, end: number, sumG: number, sumH: number, depth: number): NodeState {
    const node: NodeState = {
      id: this.nodes.length,
      start,
      end,
      sumG,
      sumH,
      depth,
      hist: null,
      split: null,
      children: null,
    }
    this.nodes.push(node)
    return node
  }

  /** Leaf-wise: the open node with the largest gain (lowest id on ties); depth-wise: the oldest. */
  private takeNext(open: NodeState[]): NodeState {
    let best = 0
    if (this.p.growth === 'leaf') {
      for (let i = 1; i < open.length; i++) {
        const a = open[i]!.split!.gain
        const b = open[best]!.split!.gain
        if (a > b || (a === b && open[i]!.id < open[best]!.id)) best = i
      }
    }
    return open.splice(best, 1)[0]!
  }

  private buildHistogram(node: NodeState): Float64Array {
    const hist = this.spare.pop() ?? new Float64Array(this.F * HIST)
    this.parallel.histogram(hist, node.start, node.end)
    return hist
  }

  private gainOf(gl: number, hl: number, gr: number, hr: number, parent: number): number {
    const l2 = this.p.l2Regularization
    return (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent
  }

  private findSplit(node: NodeState): void {
    const hist = node.hist!
    const G = node.sumG
    const H = node.sumH
    const C = node.end - node.start
    const parent = (G * G) / (H + this.p.l2Regularization)
    const minLeaf = this.p.minSamplesLeaf
    let best: Split | null = null
    const consider = (
      gain: number,
      feature: number,
      bin: number,
      missingLeft: boolean,
      leftBins: number[] | null,
      gl: number,
      hl: number,
      cl: number,
    ) => {
      if (gain > 0 && (!best || gain > best.gain))
        best = { gain, feature, bin, missingLeft, leftBins, leftG: gl, leftH: hl, leftCount: cl }
    }
    for (let f = 0; f < this.F; f++) {
      const feat = this.binned[f]!
      const base = f * HIST
      const mAt = base + MISSING_BIN * STRIDE
      const gm = hist[mAt]!
      const hm = hist[mAt + 1]!
      const cm = hist[mAt + 2]!
      if (feat.kind === 'num') {
        // Missing values right, then (if any) left.
        for (const missingLeft of cm > 0 ? [false, true] : [false]) {
          let gl = missingLeft ? gm : 0
          let hl = missingLeft ? hm : 0
          let cl = missingLeft ? cm : 0
          const lastBin = missingLeft ? feat.nBins - 2 : feat.nBins - (cm > 0 ? 1 : 2)
          for (let b = missingLeft ? -1 : 0; b <= lastBin; b++) {
            if (b >= 0) {
              const at = base + b * STRIDE
              gl += hist[at]!
              hl += hist[at + 1]!
              cl += hist[at + 2]!
            }
            const cr = C - cl
            if (cl < minLeaf) continue
            if (cr < minLeaf) break
            const hr = H - hl
            if (hl < MIN_HESSIAN_TO_SPLIT || hr < MIN_HESSIAN_TO_SPLIT) continue
            consider(this.gainOf(gl, hl, G - gl, hr, parent), f, b, missingLeft, null, gl, hl, cl)
          }
        }
      } else {
        const cats: { bin: number; ratio: number }[] = []
        for (let b = 0; b < feat.nBins; b++) {
          const at = base + b * STRIDE
          if (hist[at + 2]! >= MIN_CAT_SUPPORT)
            cats.push({ bin: b, ratio: hist[at]! / (hist[at + 1]! + MIN_CAT_SUPPORT) })
        }
        if (cm >= MIN_CAT_SUPPORT) cats.push({ bin: MISSING_BIN, ratio: gm / (hm + MIN_CAT_SUPPORT) })
        if (cats.length < 2) continue
        cats.sort((a, b) => a.ratio - b.ratio || a.bin - b.bin)
        const limit = Math.min(MAX_CAT_THRESHOLD, Math.floor((cats.length + 1) / 2))
        for (const order of [cats, [...cats].reverse()]) {
          let gl = 0
          let hl = 0
          let cl = 0
          for (let k = 0; k < limit; k++) {
            const at = base + order[k]!.bin * STRIDE
            gl += hist[at]!
            hl += hist[at + 1]!
            cl += hist[at + 2]!
            const cr = C - cl
            if (cl < minLeaf || cr < minLeaf) continue
            const hr = H - hl
            if (hl < MIN_HESSIAN_TO_SPLIT || hr < MIN_HESSIAN_TO_SPLIT) continue
            const gain = this.gainOf(gl, hl, G - gl, hr, parent)
            if (gain > 0 && (!best || gain > (best as Split).gain)) {
              const left = order.slice(0, k + 1).map((c) => c.bin)
              consider(
                gain,
                f,
                -1,
                left.includes(MISSING_BIN),
                left.filter((b) => b !== MISSING_BIN).sort((a, b) => a - b),
                gl,
                hl,
                cl,
              )
            }
          }
        }
      }
    }
    node.split = best
  }

  /**
   * Partitions the node's rows (stable) and computes both children's histograms: the smaller
   * child's while partitioning, the larger's as the parent's minus the smaller's.
   */
  private split(node: NodeState): [NodeState, NodeState] {
    const s = node.split!
    const inLeft = this.shared.inLeft
    inLeft.fill(0)
    if (s.leftBins) for (const b of s.leftBins) inLeft[b] = 1
    else for (let b = 0; b <= s.bin; b++) inLeft[b] = 1
    inLeft[MISSING_BIN] = s.missingLeft ? 1 : 0
    const leftIsSmaller = s.leftCount <= node.end - node.start - s.leftCount
    const smallerHist = this.spare.pop() ?? new Float64Array(this.F * HIST)
    const l = this.parallel.partition(s.feature, node.start, node.end, smallerHist, leftIsSmaller ? 1 : 0)
    const left = this.newNode(node.start, l, s.leftG, s.leftH, node.depth + 1)
    const right = this.newNode(l, node.end, node.sumG - s.leftG, node.sumH - s.leftH, node.depth + 1)
    node.children = [left.id, right.id]
    const smaller = leftIsSmaller ? left : right
    const larger = leftIsSmaller ? right : left
    smaller.hist = smallerHist
    const hist = node.hist!
    for (let i = 0; i < hist.length; i++) hist[i]! -= smaller.hist[i]!
    larger.hist = hist
    node.hist = null
    return [left, right]
  }

  private finish(): { tree: Tree; leaves: { start: number; end: number; value: number }[] } {
    const n = this.nodes.length
    const tree: Tree = {
      feature: new Int32Array(n).fill(-1),
      threshold: new Float32Array(n),
      thresholdBin: new Int32Array(n),
      left: new Int32Array(n).fill(-1),
      right: new Int32Array(n).fill(-1),
      missingLeft: new Uint8Array(n),
      leftCategories: Array.from({ length: n }, () => []),
      value: new Float64Array(n),
    }
    const leaves: { start: number; end: number; value: number }[] = []
    for (const node of this.nodes) {
      const kids = node.children
      if (kids) {
        const s = node.split!
        const feat = this.binned[s.feature]!
        tree.feature[node.id] = s.feature
        tree.left[node.id] = kids[0]
        tree.right[node.id] = kids[1]
        tree.missingLeft[node.id] = s.missingLeft ? 1 : 0
        if (s.leftBins) tree.leftCategories[node.id] = s.leftBins
        else {
          // Bin −1: only missing values go left; the last bin: every non-missing value does.
          tree.thresholdBin[node.id] = s.bin
          tree.threshold[node.id] =
            s.bin < 0
              ? Number.NEGATIVE_INFINITY
              : s.bin < feat.thresholds.length
                ? feat.thresholds[s.bin]!
                : Number.POSITIVE_INFINITY
        }
      } else {
        const value = (-node.sumG / (node.sumH + this.p.l2Regularization)) * this.p.learningRate
        tree.value[node.id] = value
        leaves.push({ start: node.start, end: node.end, value })
      }
    }
    return { tree, leaves }
  }
}

/** The bins of every feature interleaved row by row. */
export function toRowMajor(binned: BinnedFeature[]): Uint8Array {
  const F = binned.length
  const n = binned[0]?.bins.length ?? 0
  const out = new Uint8Array(new SharedArrayBuffer(n * F))
  binned.forEach((b, f) => {
    const bins = b.bins
    for (let r = 0; r < n; r++) out[r * F + f] = bins[r]!
  })
  return out
}
