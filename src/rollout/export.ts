import { Document } from 'yaml'
import { SluiceError } from '../core/errors.js'
import type { RolloutSpec, Rule, Step } from './spec.js'

/**
 * `sluice export kserve|argo-rollouts`: a deployment and its rollout as Kubernetes manifests, for
 * teams that run their models there. Pure: the caller resolves the models and writes the text.
 * What has no faithful equivalent is refused (shadow, A/B) or named in a comment (rules that only
 * sluice's server can evaluate), never silently dropped.
 */

export interface ExportModel {
  name: string
  version: number
  /** where the ONNX file is, e.g. s3://bucket/models/x/3/model.onnx or a placeholder the user must fill */
  storageUri: string
}

export interface ExportInput {
  deployment: string
  namespace?: string
  /** null = no rollout: the stable version alone. */
  spec: RolloutSpec | null
  stable: ExportModel
  candidate: ExportModel | null
  image?: string
  port?: number
  /** Where Argo Rollouts queries Prometheus (default: a common in-cluster address). */
  prometheusAddress?: string
}

/** The environment that pins a sluice pod to one deployment and model (`sluice serve` reads it). */
export const POD_ENV = {
  deployment: 'SLUICE_DEPLOYMENT',
  model: 'SLUICE_MODEL',
  modelUri: 'SLUICE_MODEL_URI',
} as const

const DEFAULT_IMAGE = 'ghcr.io/sluice/sluice:latest'
const DEFAULT_PORT = 8321
const DEFAULT_PROMETHEUS = 'http://prometheus.monitoring.svc.cluster.local:9090'
/** Without a traffic router Argo approximates setWeight by the share of these pods running the candidate. */
const REPLICAS = 10

/** A KServe `InferenceService` (v1beta1) serving the ONNX file; a canary as `canaryTrafficPercent`. */
export function kserveManifest(input: ExportInput): string {
  const { model, canary } = resolve(input, 'kserve')
  const notes = [
    `Written by \`sluice export kserve ${input.deployment}\`.`,
    "KServe serves the ONNX file with its own runtime (Open Inference Protocol v2, as sluice does); sluice's rules do not run there.",
  ]
  let percent: number | undefined
  if (canary) {
    const first = canary.spec.steps.find((s): s is { setWeight: number } => 'setWeight' in s)
    if (!first) throw usage('the canary sets no weight; start its steps with e.g. setWeight: 10')
    percent = wholeWeight(first.setWeight)
    const later = canary.spec.steps.flatMap((s) => ('setWeight' in s ? [s.setWeight] : [])).slice(1)
    notes.push(
      `Canary: apply the stable version (${ref(canary.stable)}) first; KServe then sends ${percent}% to the latest revision (${ref(model)}).`,
      later.length
        ? `KServe does not step on by itself: raise canaryTrafficPercent (${later.join(', ')}) or remove it to promote; 0 rolls back.`
        : 'Remove canaryTrafficPercent to promote; set it to 0 to roll back.',
    )
    if (canary.spec.analysis.rules.length)
      notes.push(`Not evaluated by KServe: ${canary.spec.analysis.rules.map((r) => r.name).join(', ')}.`)
  }
  const isvc = {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      ...meta(input),
      annotations: {
        ...modelAnnotations(input.deployment, model, canary?.stable ?? null),
        // Knative (Serverless) mode is the one that splits traffic between revisions.
        ...(canary && { 'serving.kserve.io/deploymentMode': 'Serverless' }),
      },
    },
    spec: {
      predictor: {
        ...(percent !== undefined && { canaryTrafficPercent: percent }),
        model: { modelFormat: { name: 'onnx' }, protocolVersion: 'v2', storageUri: model.storageUri },
      },
    },
  }
  return render(notes, [{ value: isvc }])
}

/**
 * Argo Rollouts manifests: a Service, the AnalysisTemplate (when a rule maps to Prometheus) and the
 * Rollout whose pod template runs sluice's server pinned to the model (the candidate during a
 * canary; Argo keeps the previously applied template as the stable).
 */
export function argoRolloutsManifest(input: ExportInput): string {
  const { model, canary } = resolve(input, 'argo-rollouts')
  if (canary && canary.stable.version === model.version)
    throw usage(
      `the stable and the candidate are both version ${model.version}: sluice's metrics tell versions apart by number, so the analysis could not separate them`,
    )
  const name = k8sName(input.deployment)
  const port = input.port ?? DEFAULT_PORT
  const labels = { 'app.kubernetes.io/name': name }
  const notes = [
    `Written by \`sluice export argo-rollouts ${input.deployment}\`.`,
    `Each pod runs \`sluice serve\` for deployment ${input.deployment} pinned to ${POD_ENV.model} (${ref(model)}).`,
  ]
  const docs: Manifest[] = [
    {
      value: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { ...meta(input), labels },
        spec: { selector: labels, ports: [{ name: 'http', port, targetPort: 'http' }] },
      },
    },
  ]

  let strategy: Record<string, unknown> = {}
  const rolloutAnnotations = modelAnnotations(input.deployment, model, canary?.stable ?? null)
  if (canary) {
    const { spec, stable } = canary
    notes.push(
      `Apply the stable version (${ref(stable)}) first: Argo skips the steps on a Rollout's first version.`,
      `Without spec.strategy.canary.trafficRouting, each setWeight is approximated by the share of the ${REPLICAS} replicas running the candidate.`,
    )
    if (spec.sticky_key)
      notes.push(`sticky_key ${spec.sticky_key} is not reproduced: Argo assigns requests by weight alone.`)
    const mapped = spec.analysis.rules.filter((r): r is PromRule => isPromMetric(r.metric))
    const skipped = spec.analysis.rules.filter((r) => !isPromMetric(r.metric)).map((r) => r.name)
    if (skipped.length) {
      notes.push(`Evaluated only by sluice's own server, not exported: ${skipped.join(', ')}.`)
      rolloutAnnotations['sluice.dev/rules-not-exported'] = skipped.join(', ')
    }
    strategy = { steps: spec.steps.map(argoStep) }
    if (mapped.length) {
      const template = `${name}-analysis`
      docs.push(analysisTemplate(input, template, spec, mapped))
      strategy.analysis = {
        templates: [{ templateName: template }],
        args: [
          { name: 'deployment', value: input.deployment },
          { name: 'canary-version', value: String(model.version) },
          { name: 'stable-version', value: String(stable.version) },
        ],
      }
    }
  }

  docs.push({
    value: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { ...meta(input), labels, annotations: rolloutAnnotations },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: labels },
        template: podTemplate(input, model, labels, port),
        strategy: { canary: strategy },
      },
    },
  })
  return render(notes, docs)
}

type Target = 'kserve' | 'argo-rollouts'

/** Why a strategy has no faithful equivalent, and what to do instead. */
const REFUSALS: Record<Target, Record<'shadow' | 'ab', string>> = {
  kserve: {
    shadow:
      'KServe has no shadow rollout: an InferenceService splits traffic between revisions (canaryTrafficPercent) but never mirrors it',
    ab: 'KServe has no A/B test: canaryTrafficPercent splits traffic without sticky assignment and no test picks a winner',
  },
  'argo-rollouts': {
    // setMirrorRoute mirrors only through a traffic router (Istio, Gateway API) and drops the
    // mirrored answers, so the shadow's point, comparing its predictions with the stable's, is lost.
    shadow:
      "Argo Rollouts cannot run sluice's shadow rollout faithfully: it mirrors traffic only through a traffic router and drops the mirrored answers, so shadow_disagreement and shadow_latency_delta cannot be measured",
    // An experiment step runs both versions side by side, but nothing in it is the sequential test.
    ab: "Argo Rollouts cannot run sluice's A/B test faithfully: an experiment step runs both versions side by side, but splits traffic only through a traffic router, keeps no sticky assignment and has no sequential test to pick the winner",
  },
}

interface Resolved {
  /** The model the manifest deploys: the candidate during a canary, else the stable. */
  model: ExportModel
  canary: { spec: RolloutSpec; stable: ExportModel } | null
}

function resolve(input: ExportInput, target: Target): Resolved {
  const { spec, stable, candidate } = input
  if (spec === null) {
    if (candidate)
      throw usage(
        `a candidate (${ref(candidate)}) was given without a rollout; give a canary spec or no candidate`,
      )
    return { model: stable, canary: null }
  }
  if (spec.strategy !== 'canary') {
    const what = spec.strategy === 'shadow' ? 'shadow' : 'A/B test'
    throw usage(
      `${REFUSALS[target][spec.strategy]}. Run the ${what} in sluice's own server (sluice deploy --strategy ${spec.strategy}), or export a canary (--strategy canary).`,
    )
  }
  if (!candidate) throw usage('a canary needs a candidate version to roll out; name the model to deploy')
  return { model: candidate, canary: { spec, stable } }
}

function argoStep(step: Step): Record<string, unknown> {
  if ('setWeight' in step) return { setWeight: wholeWeight(step.setWeight) }
  const ms = step.pause.duration_ms
  return { pause: ms === null ? {} : { duration: goDuration(ms) } }
}

function podTemplate(input: ExportInput, model: ExportModel, labels: Record<string, string>, port: number) {
  const probe = (path: string) => ({ httpGet: { path, port: 'http' } })
  return {
    metadata: {
      labels,
      annotations: {
        'sluice.dev/model': model.name,
        'sluice.dev/version': String(model.version),
        // The conventional scrape annotations: the analysis reads these pods' /metrics from Prometheus.
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(port),
        'prometheus.io/path': '/metrics',
      },
    },
    spec: {
      containers: [
        {
          name: 'sluice',
          image: input.image ?? DEFAULT_IMAGE,
          // The image `sluice ci github` writes has no entrypoint of its own.
          command: ['npx', 'sluice'],
          args: ['serve', '--host', '0.0.0.0', '--port', String(port)],
          ports: [{ name: 'http', containerPort: port }],
          env: [
            { name: POD_ENV.deployment, value: input.deployment },
            { name: POD_ENV.model, value: ref(model) },
            { name: POD_ENV.modelUri, value: model.storageUri },
          ],
          readinessProbe: probe('/v2/health/ready'),
          livenessProbe: probe('/v2/health/live'),
        },
      ],
    },
  }
}

type PromMetric = 'error_rate' | 'latency_p50' | 'latency_p99'
const QUANTILE = { latency_p50: 0.5, latency_p99: 0.99 } as const
const isPromMetric = (m: string): m is PromMetric => m === 'error_rate' || m in QUANTILE
/** A rule Prometheus can measure from sluice's /metrics. */
type PromRule = Rule & { metric: PromMetric }

function analysisTemplate(input: ExportInput, name: string, spec: RolloutSpec, rules: PromRule[]): Manifest {
  const common = (r: Rule) => ({
    interval: goDuration(spec.analysis.interval_ms),
    failureLimit: r.failure_limit,
    consecutiveErrorLimit: r.consecutive_error_limit,
  })
  const provider = (query: string) => ({
    prometheus: { address: input.prometheusAddress ?? DEFAULT_PROMETHEUS, query },
  })
  const window = goDuration(spec.analysis.window_ms)
  const metrics = rules.flatMap((r) => {
    const out: Record<string, unknown>[] = []
    const pass: string[] = []
    const fail: string[] = []
    if (r.max !== undefined) {
      pass.push(`result[0] <= ${r.max}`)
      fail.push(`result[0] > ${r.max}`)
    }
    if (r.min !== undefined) {
      pass.push(`result[0] >= ${r.min}`)
      fail.push(`result[0] < ${r.min}`)
    }
    const canary = value(r.metric, 'canary', window)
    const enoughCanary = `and on() (${requests('canary', window)} >= ${r.min_samples})`
    if (pass.length)
      out.push({
        name: r.name,
        ...common(r),
        successCondition: `len(result) == 0 || (${pass.join(' && ')})`,
        failureCondition: `len(result) > 0 && (${fail.join(' || ')})`,
        provider: provider(`(${canary})\n${enoughCanary}`),
      })
    if (r.vs_stable) {
      const stable = value(r.metric, 'stable', window)
      const limits = [
        ...(r.vs_stable.max_ratio !== undefined ? [`(${stable}) * ${r.vs_stable.max_ratio}`] : []),
        ...(r.vs_stable.max_increase !== undefined ? [`(${stable}) + ${r.vs_stable.max_increase}`] : []),
      ]
      // sluice fails the rule only above every limit given; the query returns the candidate's value then.
      const over = limits.map((l) => `(${canary})\n  > ${l}`).join('\nand\n')
      out.push({
        name: `${r.name}-vs-stable`,
        ...common(r),
        successCondition: 'len(result) == 0',
        failureCondition: 'len(result) > 0',
        provider: provider(
          `${over}\n${enoughCanary}\nand on() (${requests('stable', window)} >= ${r.min_samples})`,
        ),
      })
    }
    return out
  })
  return {
    value: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: meta(input, name),
      spec: {
        args: [{ name: 'deployment' }, { name: 'canary-version' }, { name: 'stable-version' }],
        metrics,
      },
    },
    notes: [
      "sluice's rules as Prometheus queries on the server's /metrics (deployment and version labels).",
      `The window (${window}) must span at least two Prometheus scrapes, or the queries find nothing.`,
      'With fewer than min_samples requests in the window a query returns nothing, which passes: unlike',
      "sluice's server, Argo ends a pause without waiting for enough requests to judge the candidate.",
      'Latency quantiles are estimated from the histogram buckets, not from every request.',
      ...(rules.some((r) => r.metric === 'error_rate' && r.vs_stable)
        ? [
            'sluice fails an error-rate rise over the stable only when significant (Fisher p < 0.05); this query on any rise.',
          ]
        : []),
    ],
  }
}

/** PromQL for a metric of one version (a template arg) over the window; latencies in milliseconds. */
function value(metric: PromMetric, version: 'canary' | 'stable', window: string): string {
  const sel = selector(version)
  if (metric === 'error_rate')
    return `(sum(increase(sluice_inference_requests_total{${sel},code=~"5.."}[${window}])) or vector(0))\n  / ${requests(version, window)}`
  return `1000 * histogram_quantile(${QUANTILE[metric]}, sum by (le) (rate(sluice_inference_latency_seconds_bucket{${sel}}[${window}])))`
}

const requests = (version: 'canary' | 'stable', window: string) =>
  `sum(increase(sluice_inference_requests_total{${selector(version)}}[${window}]))`

const selector = (version: 'canary' | 'stable') =>
  `deployment="{{args.deployment}}",version="{{args.${version}-version}}"`

function modelAnnotations(deployment: string, model: ExportModel, stable: ExportModel | null) {
  const a: Record<string, string> = {
    'sluice.dev/deployment': deployment,
    'sluice.dev/model': model.name,
    'sluice.dev/version': String(model.version),
  }
  if (stable) {
    a['sluice.dev/stable-model'] = stable.name
    a['sluice.dev/stable-version'] = String(stable.version)
  }
  return a
}

function meta(input: ExportInput, name = k8sName(input.deployment)) {
  return { name, ...(input.namespace && { namespace: input.namespace }) }
}

/**
 * A Kubernetes name (DNS-1035 label) for a deployment: sluice names may hold capitals, `_` and `.`.
 * Kept short so derived names (`-analysis`, KServe's `-predictor-00001`) stay within 63 characters.
 */
function k8sName(deployment: string): string {
  let name = deployment.toLowerCase().replace(/[^a-z0-9-]+/g, '-')
  if (!/^[a-z]/.test(name)) name = `sluice-${name}`
  return name.slice(0, 45).replace(/-+$/, '')
}

const GO_UNITS = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
] as const

/** A Go duration, what Argo Rollouts and PromQL parse: 30s, 15m, 2h, 1500ms. */
function goDuration(ms: number): string {
  const unit = GO_UNITS.find(([, size]) => ms % size === 0)
  return unit ? `${ms / unit[1]}${unit[0]}` : `${Math.round(ms)}ms`
}

function wholeWeight(w: number): number {
  if (!Number.isInteger(w))
    throw usage(
      `weight ${w} is not a whole percentage; KServe and Argo Rollouts take whole numbers (e.g. ${Math.round(w)})`,
    )
  return w
}

interface Manifest {
  value: object
  /** Comment lines printed above the document. */
  notes?: string[]
}

/** YAML documents, `header` as a comment above the first. */
function render(header: string[], docs: Manifest[]): string {
  return docs
    .map((m, i) => {
      // Plain copies, not anchors and aliases, where two fields share an object (labels).
      const doc = new Document(m.value, { aliasDuplicateObjects: false })
      const notes = [...(i === 0 ? header : []), ...(m.notes ?? [])]
      if (notes.length) doc.commentBefore = notes.map((l) => ` ${l}`).join('\n')
      return doc.toString({ lineWidth: 0 })
    })
    .join('---\n')
}

const ref = (m: ExportModel) => `${m.name}@${m.version}`
const usage = (message: string) => new SluiceError('USAGE', message)
