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
    { name: 'one', dims: [], dataType: ElemType.FLOAT, floatData: [1] },
    { name: 'half', dims: [], dataType: ElemType.FLOAT, floatData: [0.5] },
  ]
  // Numbers: ±inf is missing, as in training.
  const clean = (f: FeatureSpec) => {
    nodes.push({ op: 'IsInf', inputs: [f.name], outputs: [`${f.name}__inf`] })
    nodes.push({ op: 'Where', inputs: [`${f.name}__inf`, 'nan', f.name], outputs: [`${f.name}__clean`] })
    return `${f.name}__clean`
  }
  const raw =
    model.algo === 'gbdt'
      ? gbdtBody(model, nodes, initializers, clean)
      : linearBody(model, nodes, initializers, clean)

  const outputs: GraphSpec['outputs'] = []
  if (model.task === 'classification') {
    nodes.push({ op: 'Sigmoid', inputs: [raw], outputs: ['p'] })
    nodes.push({ op: 'Sub', inputs: ['one', 'p'], outputs: ['q'] })
    nodes.push({ op: 'Concat', inputs: ['q', 'p'], outputs: ['probabilities'], attrs: { axis: int(1) } })
    nodes.push({ op: 'Greater', inputs: ['p', 'half'], outputs: ['is_one'] })
    nodes.push({ op: 'Cast', inputs: ['is_one'], outputs: ['label_2d'], attrs: { to: int(ElemType.INT64) } })
    initializers.push({ name: 'squeeze_axes', dims: [1], dataType: ElemType.INT64, int64Data: [1] })
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
    outputs.push({ name: 'label', elemType: stringLabels ? ElemType.STRING : ElemType.INT64, shape: ['N'] })
    outputs.push({ name: 'probabilities', elemType: ElemType.FLOAT, shape: ['N', 2] })
  } else {
    nodes.push({ op: 'Identity', inputs: [raw], outputs: ['prediction'] })
    outputs.push({ name: 'prediction', elemType: ElemType.FLOAT, shape: ['N', 1] })
  }
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

/** Numbers imputed and standardised, categories one-hot encoded; then X·w + b. */
function linearBody(
  model: LinearModel,
  nodes: NodeSpec[],
  init: NonNullable<GraphSpec['initializers']>,
  clean: (f: FeatureSpec) => string,
): string {
  let num = 0
  const pieces = model.features.map((f) => {
    if (f.kind === 'num') {
      const mean = model.means[num]!
      const std = model.stds[num]!
      num++
      nodes.push({
        op: 'Imputer',
        domain: 'ai.onnx.ml',
        inputs: [clean(f)],
        outputs: [`${f.name}__imputed`],
        attrs: { imputed_value_floats: floats([mean]), replaced_value_float: float(Number.NaN) },
      })
      nodes.push({
        op: 'Scaler',
        domain: 'ai.onnx.ml',
        inputs: [`${f.name}__imputed`],
        outputs: [`${f.name}__scaled`],
        attrs: { offset: floats([mean]), scale: floats([1 / std]) },
      })
      return `${f.name}__scaled`
    }
    nodes.push({
      op: 'OneHotEncoder',
      domain: 'ai.onnx.ml',
      inputs: [f.name],
      outputs: [`${f.name}__onehot3d`],
      attrs: { cats_strings: strs(f.categories), zeros: int(1) },
    })
    init.push({
      name: `${f.name}__shape`,
      dims: [2],
      dataType: ElemType.INT64,
      int64Data: [-1, f.categories.length],
    })
    nodes.push({
      op: 'Reshape',
      inputs: [`${f.name}__onehot3d`, `${f.name}__shape`],
      outputs: [`${f.name}__onehot`],
    })
    return `${f.name}__onehot`
  })
  nodes.push({ op: 'Concat', inputs: pieces, outputs: ['design'], attrs: { axis: int(1) } })
  init.push({
    name: 'weights',
    dims: [model.weights.length, 1],
    dataType: ElemType.FLOAT,
    floatData: Array.from(model.weights),
  })
  init.push({ name: 'intercept', dims: [], dataType: ElemType.FLOAT, floatData: [model.intercept] })
  nodes.push({ op: 'MatMul', inputs: ['design', 'weights'], outputs: ['linear'] })
  nodes.push({ op: 'Add', inputs: ['linear', 'intercept'], outputs: ['raw'] })
  return 'raw'
}
