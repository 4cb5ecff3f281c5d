import type { FeatureSpec } from '../dataset.js'
import type { GbdtModel, LinearModel, TrainedModel } from '../model.js'
import {
  ElemType,
  encodeModel,
  float,
  floats,
  type GraphSpec,
  int,
  ints,
  type NodeSpec,
  str,
  strs,
  tensorAttr,
} from './graph.js'

/**
 * Exports a trained model as one ONNX graph over the raw columns: one input per feature, named
 * after it ([N, 1]; numbers as FP32, categories as strings), with the preprocessing inside
 * (±inf treated as missing, category encoding, imputation and scaling for linear models).
 * Classifiers output `label` ([N] int64 class index, or the class string for string labels) and
 * `probabilities` ([N, 2] float); regressors output `prediction` ([N, 1] float).
 */
export function exportOnnx(model: TrainedModel, metadata: Record<string, string> = {}): Uint8Array {
  const nodes: NodeSpec[] = []
  const initializers: GraphSpec['initializers'] = [
    { name: 'nan', dims: [], dataType: ElemType.FLOAT, floatData: [Number.NaN] },
  ]
  const outputs: GraphSpec['outputs'] = []
  const stringLabels = !model.numericClasses
  if (model.task === 'classification') {
    outputs.push({ name: 'label', elemType: stringLabels ? ElemType.STRING : ElemType.INT64, shape: ['N'] })
    outputs.push({ name: 'probabilities', elemType: ElemType.FLOAT, shape: ['N', 2] })
  } else outputs.push({ name: 'prediction', elemType: ElemType.FLOAT, shape: ['N', 1] })
  if (model.algo === 'gbdt') gbdtGraph(model, nodes, initializers)
  else linearGraph(model, nodes, initializers)
  return encodeModel({
    name: `sluice_${model.algo}`,
    inputs: model.features.map((f) => ({
      name: f.name,
      elemType: f.kind === 'num' ? ElemType.FLOAT : ElemType.STRING,
      shape: ['N', 1],
    })),
    outputs,
    initializers,
    nodes,
    mlOpset: model.algo === 'gbdt' ? 5 : 3,
    metadata: { sluice_algo: model.algo, sluice_task: model.task, ...metadata },
  })
}

/** ±inf is missing, as in training: `x` with every infinity replaced by NaN. */
function cleaned(x: string, nodes: NodeSpec[]): string {
  nodes.push({ op: 'IsInf', inputs: [x], outputs: [`${x}__inf`] })
  nodes.push({ op: 'Where', inputs: [`${x}__inf`, 'nan', x], outputs: [`${x}__clean`] })
  return `${x}__clean`
}

/** The gbdt's raw score turned into the classifier's outputs (or the regressor's prediction). */
function gbdtGraph(model: GbdtModel, nodes: NodeSpec[], init: NonNullable<GraphSpec['initializers']>): void {
  const raw = gbdtBody(model, nodes, init, (f) => cleaned(f.name, nodes))
  if (model.task !== 'classification') {
    nodes.push({ op: 'Identity', inputs: [raw], outputs: ['prediction'] })
    return
  }
  init.push({ name: 'one', dims: [], dataType: ElemType.FLOAT, floatData: [1] })
  init.push({ name: 'half', dims: [], dataType: ElemType.FLOAT, floatData: [0.5] })
  nodes.push({ op: 'Sigmoid', inputs: [raw], outputs: ['p'] })
  nodes.push({ op: 'Sub', inputs: ['one', 'p'], outputs: ['q'] })
  nodes.push({ op: 'Concat', inputs: ['q', 'p'], outputs: ['probabilities'], attrs: { axis: int(1) } })
  nodes.push({ op: 'Greater', inputs: ['p', 'half'], outputs: ['is_one'] })
  nodes.push({ op: 'Cast', inputs: ['is_one'], outputs: ['label_2d'], attrs: { to: int(ElemType.INT64) } })
  init.push({ name: 'squeeze_axes', dims: [1], dataType: ElemType.INT64, int64Data: [1] })
  const stringLabels = !model.numericClasses
  nodes.push({
    op: 'Squeeze',
    inputs: ['label_2d', 'squeeze_axes'],
    outputs: [stringLabels ? 'label_index' : 'label'],
  })
  if (stringLabels) {
    nodes.push({
      op: 'LabelEncoder',
      domain: 'ai.onnx.ml',
      inputs: ['label_index'],
      outputs: ['label'],
      attrs: {
        keys_int64s: ints([0, 1]),
        values_strings: strs(model.classes),
        default_string: { kind: 'string', value: '' },
      },
    })
  }
}

/** Categories → codes (unknown → NaN, i.e. missing), numbers cleaned; all concatenated; the tree ensemble; + baseline. */
function gbdtBody(
  model: GbdtModel,
  nodes: NodeSpec[],
  init: NonNullable<GraphSpec['initializers']>,
  clean: (f: FeatureSpec) => string,
): string {
  const columns = model.features.map((f) => {
    if (f.kind === 'num') return clean(f)
    nodes.push({
      op: 'LabelEncoder',
      domain: 'ai.onnx.ml',
      inputs: [f.name],
      outputs: [`${f.name}__code`],
      attrs: {
        keys_strings: strs(f.categories),
        values_floats: floats(f.categories.map((_, i) => i)),
        default_float: float(Number.NaN),
      },
    })
    return `${f.name}__code`
  })
  nodes.push({ op: 'Concat', inputs: columns, outputs: ['features'], attrs: { axis: int(1) } })
  nodes.push({
    op: 'TreeEnsemble',
    domain: 'ai.onnx.ml',
    inputs: ['features'],
    outputs: ['trees'],
    attrs: treeEnsembleAttributes(model),
  })
  init.push({ name: 'baseline', dims: [], dataType: ElemType.FLOAT, floatData: [model.baseline] })
  nodes.push({ op: 'Add', inputs: ['trees', 'baseline'], outputs: ['raw'] })
  return 'raw'
}

/** The trees in the flat layout of ai.onnx.ml TreeEnsemble (opset 5): interior nodes, leaves, membership sets. */
function treeEnsembleAttributes(model: GbdtModel): Record<string, ReturnType<typeof int>> {
  const featureIds: number[] = []
  const splits: number[] = []
  const modes: number[] = []
  const trueIds: number[] = []
  const trueLeaf: number[] = []
  const falseIds: number[] = []
  const falseLeaf: number[] = []
  const missingTrue: number[] = []
  const membership: number[] = []
  const leafWeights: number[] = []
  const roots: number[] = []
  const LEQ = 0
  const MEMBER = 6
  for (const tree of model.trees) {
    roots.push(featureIds.length)
    if (tree.feature[0]! < 0) {
      // A tree that is one leaf: a split that sends every row to it.
      const leaf = leafWeights.push(tree.value[0]!) - 1
      featureIds.push(0)
      splits.push(0)
      modes.push(LEQ)
      trueIds.push(leaf)
      trueLeaf.push(1)
      falseIds.push(leaf)
      falseLeaf.push(1)
      missingTrue.push(1)
      continue
    }
    // Interior nodes get ids in visiting order; children are patched once their ids are known.
    const visit = (node: number): { id: number; leaf: boolean } => {
      if (tree.feature[node]! < 0) return { id: leafWeights.push(tree.value[node]!) - 1, leaf: true }
      const id = featureIds.length
      const f = tree.feature[node]!
      featureIds.push(f)
      const categorical = model.features[f]!.kind === 'cat'
      splits.push(categorical ? 0 : tree.threshold[node]!)
      modes.push(categorical ? MEMBER : LEQ)
      if (categorical) membership.push(...tree.leftCategories[node]!, Number.NaN)
      missingTrue.push(tree.missingLeft[node]!)
      trueIds.push(-1)
      trueLeaf.push(0)
      falseIds.push(-1)
      falseLeaf.push(0)
      const t = visit(tree.left[node]!)
      const e = visit(tree.right[node]!)
      trueIds[id] = t.id
      trueLeaf[id] = t.leaf ? 1 : 0
      falseIds[id] = e.id
      falseLeaf[id] = e.leaf ? 1 : 0
      return { id, leaf: false }
    }
    visit(0)
  }
  const n = featureIds.length
  return {
    tree_roots: ints(roots),
    nodes_featureids: ints(featureIds),
    nodes_splits: tensorAttr({ dims: [n], dataType: ElemType.FLOAT, floatData: splits }),
    nodes_modes: tensorAttr({ dims: [n], dataType: ElemType.UINT8, rawData: Uint8Array.from(modes) }),
    nodes_truenodeids: ints(trueIds),
    nodes_trueleafs: ints(trueLeaf),
    nodes_falsenodeids: ints(falseIds),
    nodes_falseleafs: ints(falseLeaf),
    nodes_missing_value_tracks_true: ints(missingTrue),
    ...(membership.length && {
      membership_values: tensorAttr({
        dims: [membership.length],
        dataType: ElemType.FLOAT,
        floatData: membership,
      }),
    }),
    leaf_targetids: ints(leafWeights.map(() => 0)),
    leaf_weights: tensorAttr({
      dims: [leafWeights.length],
      dataType: ElemType.FLOAT,
      floatData: leafWeights,
    }),
    n_targets: int(1),
    aggregate_function: int(1),
    post_transform: int(0),
  }
}

/**
 * Numbers concatenated, cleaned, imputed and standardised as one block; categories one-hot encoded;
 * then one LinearClassifier (logistic) or LinearRegressor. Few nodes on purpose: onnxruntime's cost
 * per node is most of a one-row call (a served request), and this graph has 9 for three features
 * where one node per feature and step had 19.
 */
function linearGraph(
  model: LinearModel,
  nodes: NodeSpec[],
  init: NonNullable<GraphSpec['initializers']>,
): void {
  // Design columns in the model's order (features in order, a category's columns together); the
  // graph lays out the numbers first, so the weights are laid out to match.
  const numbers: { name: string; mean: number; std: number; column: number }[] = []
  const categories: { name: string; categories: string[]; column: number }[] = []
  let column = 0
  let num = 0
  for (const f of model.features) {
    if (f.kind === 'num') {
      numbers.push({ name: f.name, mean: model.means[num]!, std: model.stds[num]!, column })
      num++
      column++
    } else {
      categories.push({ name: f.name, categories: f.categories, column })
      column += f.categories.length
    }
  }
  const weights: number[] = []
  const pieces: string[] = []
  if (numbers.length > 0) {
    const joined = numbers.length === 1 ? numbers[0]!.name : 'numbers'
    if (numbers.length > 1)
      nodes.push({
        op: 'Concat',
        inputs: numbers.map((n) => n.name),
        outputs: [joined],
        attrs: { axis: int(1) },
      })
    nodes.push({
      op: 'Imputer',
      domain: 'ai.onnx.ml',
      inputs: [cleaned(joined, nodes)],
      outputs: ['numbers__imputed'],
      attrs: {
        imputed_value_floats: floats(numbers.map((n) => n.mean)),
        replaced_value_float: float(Number.NaN),
      },
    })
    nodes.push({
      op: 'Scaler',
      domain: 'ai.onnx.ml',
      inputs: ['numbers__imputed'],
      outputs: ['numbers__scaled'],
      attrs: { offset: floats(numbers.map((n) => n.mean)), scale: floats(numbers.map((n) => 1 / n.std)) },
    })
    pieces.push('numbers__scaled')
    for (const n of numbers) weights.push(model.weights[n.column]!)
  }
  for (const c of categories) {
    nodes.push({
      op: 'OneHotEncoder',
      domain: 'ai.onnx.ml',
      inputs: [c.name],
      outputs: [`${c.name}__onehot3d`],
      attrs: { cats_strings: strs(c.categories), zeros: int(1) },
    })
    init.push({
      name: `${c.name}__shape`,
      dims: [2],
      dataType: ElemType.INT64,
      int64Data: [-1, c.categories.length],
    })
    nodes.push({
      op: 'Reshape',
      inputs: [`${c.name}__onehot3d`, `${c.name}__shape`],
      outputs: [`${c.name}__onehot`],
    })
    pieces.push(`${c.name}__onehot`)
    for (let i = 0; i < c.categories.length; i++) weights.push(model.weights[c.column + i]!)
  }
  const design = pieces.length === 1 ? pieces[0]! : 'design'
  if (pieces.length > 1)
    nodes.push({ op: 'Concat', inputs: pieces, outputs: [design], attrs: { axis: int(1) } })
  if (model.task === 'classification') {
    nodes.push({
      op: 'LinearClassifier',
      domain: 'ai.onnx.ml',
      inputs: [design],
      outputs: ['label', 'probabilities'],
      attrs: {
        // One row per class (−w and w): runtimes agree on two logistic scores, where a single row's
        // second-class column has meant different things in different onnxruntime versions.
        coefficients: floats([...weights.map((w) => -w), ...weights]),
        intercepts: floats([-model.intercept, model.intercept]),
        post_transform: str('LOGISTIC'),
        ...(model.numericClasses
          ? { classlabels_ints: ints([0, 1]) }
          : { classlabels_strings: strs(model.classes) }),
      },
    })
  } else {
    nodes.push({
      op: 'LinearRegressor',
      domain: 'ai.onnx.ml',
      inputs: [design],
      outputs: ['prediction'],
      attrs: { coefficients: floats(weights), intercepts: floats([model.intercept]), targets: int(1) },
    })
  }
}
