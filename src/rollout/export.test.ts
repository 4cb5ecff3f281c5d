import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { z } from 'zod'
import { SluiceError } from '../core/errors.js'
import { ServingMetrics } from '../serving/metrics.js'
import { argoRolloutsManifest, type ExportInput, kserveManifest, POD_ENV } from './export.js'
import type { RolloutSpec, Rule } from './spec.js'

// The required fields and types of the official CRDs (KServe InferenceService v1beta1, Argo
// Rollouts v1alpha1 Rollout and AnalysisTemplate) for what the export writes. Strict objects, so
// a misspelt field fails as surely as a missing one.
const name = z
  .string()
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/)
  .max(63)
const strings = z.record(z.string(), z.string())
const metadata = z.strictObject({
  name,
  namespace: z.string().optional(),
  labels: strings.optional(),
  annotations: strings.optional(),
})
const goDuration = z.string().regex(/^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/)
const intOrString = z.union([z.number().int(), z.string()])
const percent = z.number().int().min(0).max(100)
const port = z.number().int().min(1).max(65535)

const inferenceService = z.strictObject({
  apiVersion: z.literal('serving.kserve.io/v1beta1'),
  kind: z.literal('InferenceService'),
  metadata,
  spec: z.strictObject({
    predictor: z.strictObject({
      canaryTrafficPercent: percent.optional(),
      model: z.strictObject({
        modelFormat: z.strictObject({ name: z.string().min(1), version: z.string().optional() }),
        runtime: z.string().optional(),
        protocolVersion: z.enum(['v1', 'v2', 'grpc-v2']).optional(),
        storageUri: z.string().min(1),
      }),
    }),
  }),
})

const probe = z.strictObject({
  httpGet: z.strictObject({ path: z.string().startsWith('/'), port: intOrString }),
})
const container = z.strictObject({
  name,
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  ports: z.array(z.strictObject({ name: z.string().max(15).optional(), containerPort: port })).optional(),
  env: z
    .array(z.strictObject({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), value: z.string() }))
    .optional(),
  readinessProbe: probe.optional(),
  livenessProbe: probe.optional(),
})
const analysisArgs = z.array(z.strictObject({ name: z.string().min(1), value: z.string() }))
const rolloutAnalysis = z.strictObject({
  templates: z.array(z.strictObject({ templateName: name, clusterScope: z.boolean().optional() })).min(1),
  args: analysisArgs.optional(),
})
/** A canary step: exactly one of setWeight, pause, analysis, experiment, setCanaryScale. */
const step = z.union([
  z.strictObject({ setWeight: percent }),
  z.strictObject({ pause: z.strictObject({ duration: z.union([goDuration, z.number().int()]).optional() }) }),
  z.strictObject({ analysis: rolloutAnalysis }),
  z.strictObject({
    experiment: z.strictObject({
      duration: goDuration.optional(),
      templates: z
        .array(
          z.strictObject({
            name: z.string(),
            specRef: z.enum(['canary', 'stable']),
            weight: percent.optional(),
          }),
        )
        .min(1),
      analyses: z
        .array(z.strictObject({ name: z.string(), templateName: name, args: analysisArgs.optional() }))
        .optional(),
    }),
  }),
  z.strictObject({
    setCanaryScale: z.strictObject({
      weight: percent.optional(),
      replicas: z.number().int().optional(),
      matchTrafficWeight: z.boolean().optional(),
    }),
  }),
])
const rollout = z.strictObject({
  apiVersion: z.literal('argoproj.io/v1alpha1'),
  kind: z.literal('Rollout'),
  metadata,
  spec: z
    .strictObject({
      replicas: z.number().int().min(0),
      selector: z.strictObject({ matchLabels: strings }),
      template: z.strictObject({
        metadata: z.strictObject({ labels: strings, annotations: strings.optional() }),
        spec: z.strictObject({ containers: z.array(container).min(1) }),
      }),
      strategy: z.strictObject({
        canary: z.strictObject({ steps: z.array(step).optional(), analysis: rolloutAnalysis.optional() }),
      }),
    })
    .refine(
      (s) => Object.entries(s.selector.matchLabels).every(([k, v]) => s.template.metadata.labels[k] === v),
      'the selector must match the pod template labels',
    ),
})
const metric = z
  .strictObject({
    name: z.string().min(1),
    interval: goDuration.optional(),
    count: intOrString.optional(),
    successCondition: z.string().optional(),
    failureCondition: z.string().optional(),
    failureLimit: intOrString.optional(),
    consecutiveErrorLimit: intOrString.optional(),
    provider: z.strictObject({
      prometheus: z.strictObject({ address: z.url().optional(), query: z.string().min(1) }),
    }),
  })
  .refine((m) => m.successCondition || m.failureCondition, 'give successCondition or failureCondition')
const analysisTemplate = z.strictObject({
  apiVersion: z.literal('argoproj.io/v1alpha1'),
  kind: z.literal('AnalysisTemplate'),
  metadata,
  spec: z.strictObject({
    args: z.array(z.strictObject({ name: z.string().min(1), value: z.string().optional() })).optional(),
    metrics: z.array(metric).min(1),
  }),
})
const service = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata,
  spec: z.strictObject({
    selector: strings,
    ports: z
      .array(z.strictObject({ name: z.string().optional(), port, targetPort: intOrString.optional() }))
      .min(1),
  }),
})

const schemas = {
  InferenceService: inferenceService,
  Rollout: rollout,
  AnalysisTemplate: analysisTemplate,
  Service: service,
}
type Kind = keyof typeof schemas
type Manifests = { [K in Kind]?: z.output<(typeof schemas)[K]> } & { order: Kind[] }

/** Parses every YAML document and validates it against its kind's schema (at most one of each). */
function validate(text: string): Manifests {
  const out: Manifests = { order: [] }
  for (const doc of parseAllDocuments(text)) {
    expect(doc.errors).toEqual([])
    const value = doc.toJS() as { kind: Kind }
    const schema = schemas[value.kind]
    expect(schema, `unexpected kind ${value.kind}`).toBeDefined()
    expect(out[value.kind], `two ${value.kind} documents`).toBeUndefined()
    out[value.kind] = schema.parse(value) as never
    out.order.push(value.kind)
  }
  return out
}

const rule = (r: Partial<Rule> & Pick<Rule, 'metric'>): Rule => ({
  name: r.metric,
  min_samples: 20,
  failure_limit: 0,
  consecutive_error_limit: 4,
  ...r,
})

const canary: RolloutSpec = {
  strategy: 'canary',
  steps: [
    { setWeight: 10 },
    { pause: { duration_ms: 30_000 } },
    { setWeight: 25 },
    { pause: { duration_ms: null } },
    { setWeight: 50 },
    { pause: { duration_ms: 7_200_000 } },
    { setWeight: 100 },
  ],
  sticky_key: null,
  analysis: {
    interval_ms: 2000,
    window_ms: 60_000,
    rules: [
      rule({ metric: 'error_rate', max: 0.05, failure_limit: 1 }),
      rule({
        metric: 'latency_p99',
        vs_stable: { max_ratio: 2, max_increase: 25 },
        consecutive_error_limit: 3,
        min_samples: 50,
      }),
      rule({ metric: 'latency_p50', max: 40, min: 1 }),
      rule({ name: 'drift', metric: 'prediction_drift', stattest: 'ks', threshold: 0.001 }),
      rule({ metric: 'quality:accuracy', min: 0.8 }),
    ],
  },
  test: null,
}

const stable = { name: 'churn', version: 3, storageUri: 's3://models/churn/3/model.onnx' }
const candidate = { name: 'churn', version: 4, storageUri: 's3://models/churn/4/model.onnx' }
const plain: ExportInput = { deployment: 'churn-api', namespace: 'ml', spec: null, stable, candidate: null }
const rolling: ExportInput = { ...plain, spec: canary, candidate }

function refusal(f: () => unknown): SluiceError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(SluiceError)
    expect((e as SluiceError).code).toBe('USAGE')
    return e as SluiceError
  }
  throw new Error('expected a SluiceError')
}

describe('the CRD schemas used here', () => {
  it('reject what the CRDs reject', () => {
    expect(step.safeParse({ setWeight: 10, pause: {} }).success).toBe(false)
    expect(step.safeParse({ pause: { duration: '30 seconds' } }).success).toBe(false)
    expect(step.safeParse({ setWeight: 12.5 }).success).toBe(false)
    expect(metric.safeParse({ name: 'x', provider: { prometheus: { query: 'up' } } }).success).toBe(false)
    expect(metadata.safeParse({ name: 'Churn_API' }).success).toBe(false)
    expect(metadata.safeParse({ name: 'churn', annotations: { 'sluice.dev/version': 3 } }).success).toBe(
      false,
    )
  })
})

describe('kserveManifest', () => {
  it('serves the stable version alone when there is no rollout', () => {
    const m = validate(kserveManifest(plain))
    const isvc = m.InferenceService!
    expect(isvc.metadata).toMatchObject({ name: 'churn-api', namespace: 'ml' })
    expect(isvc.metadata.annotations).toMatchObject({
      'sluice.dev/deployment': 'churn-api',
      'sluice.dev/model': 'churn',
      'sluice.dev/version': '3',
    })
    expect(isvc.spec.predictor.canaryTrafficPercent).toBeUndefined()
    expect(isvc.spec.predictor.model).toEqual({
      modelFormat: { name: 'onnx' },
      protocolVersion: 'v2',
      storageUri: 's3://models/churn/3/model.onnx',
    })
  })

  it("runs a canary as the candidate's revision with the first weight", () => {
    const text = kserveManifest(rolling)
    const isvc = validate(text).InferenceService!
    expect(isvc.spec.predictor.canaryTrafficPercent).toBe(10)
    expect(isvc.spec.predictor.model.storageUri).toBe('s3://models/churn/4/model.onnx')
    expect(isvc.metadata.annotations).toMatchObject({
      'sluice.dev/model': 'churn',
      'sluice.dev/version': '4',
      'sluice.dev/stable-version': '3',
      'serving.kserve.io/deploymentMode': 'Serverless',
    })
    expect(text).toMatch(/^# .*raise canaryTrafficPercent \(25, 50, 100\)/m)
    expect(text).toMatch(
      /^# Not evaluated by KServe: error_rate, latency_p99, latency_p50, drift, quality:accuracy\.$/m,
    )
  })

  it('refuses shadow and A/B rollouts, naming the way out', () => {
    for (const strategy of ['shadow', 'ab'] as const) {
      const e = refusal(() => kserveManifest({ ...rolling, spec: { ...canary, strategy } }))
      expect(e.message).toMatch(
        strategy === 'shadow' ? /^KServe has no shadow rollout/ : /^KServe has no A\/B test/,
      )
      expect(e.message).toContain(`sluice deploy --strategy ${strategy}`)
      expect(e.message).toContain('export a canary (--strategy canary)')
    }
  })

  it('needs a candidate for a canary, a canary for a candidate, and whole weights', () => {
    expect(refusal(() => kserveManifest({ ...rolling, candidate: null })).message).toMatch(
      /needs a candidate/,
    )
    expect(refusal(() => kserveManifest({ ...plain, candidate })).message).toMatch(
      /churn@4.*without a rollout/,
    )
    const halves = { ...canary, steps: [{ setWeight: 12.5 }] }
    expect(refusal(() => kserveManifest({ ...rolling, spec: halves })).message).toMatch(
      /12\.5 is not a whole/,
    )
  })
})

describe('argoRolloutsManifest', () => {
  it('maps the steps and pins the pods to the candidate', () => {
    const m = validate(argoRolloutsManifest({ ...rolling, image: 'registry.local/churn:1', port: 9000 }))
    expect(m.order).toEqual(['Service', 'AnalysisTemplate', 'Rollout'])
    const r = m.Rollout!
    expect(r.spec.strategy.canary.steps).toEqual([
      { setWeight: 10 },
      { pause: { duration: '30s' } },
      { setWeight: 25 },
      { pause: {} },
      { setWeight: 50 },
      { pause: { duration: '2h' } },
      { setWeight: 100 },
    ])
    const c = r.spec.template.spec.containers[0]!
    expect(c.image).toBe('registry.local/churn:1')
    expect(c.args).toEqual(['serve', '--host', '0.0.0.0', '--port', '9000'])
    expect(c.ports).toEqual([{ name: 'http', containerPort: 9000 }])
    expect(c.env).toEqual([
      { name: POD_ENV.deployment, value: 'churn-api' },
      { name: POD_ENV.model, value: 'churn@4' },
      { name: POD_ENV.modelUri, value: 's3://models/churn/4/model.onnx' },
    ])
    expect(c.readinessProbe?.httpGet.path).toBe('/v2/health/ready')
    expect(c.livenessProbe?.httpGet.path).toBe('/v2/health/live')
    expect(r.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/port': '9000',
      'sluice.dev/version': '4',
    })
    expect(m.Service!.spec.ports).toEqual([{ name: 'http', port: 9000, targetPort: 'http' }])
  })

  it('maps error rate and latency rules to Prometheus metrics with their limits', () => {
    const m = validate(argoRolloutsManifest(rolling))
    const metrics = m.AnalysisTemplate!.spec.metrics
    expect(metrics.map((x) => x.name)).toEqual(['error_rate', 'latency_p99-vs-stable', 'latency_p50'])
    const [errors, p99, p50] = metrics
    expect(errors).toMatchObject({
      interval: '2s',
      failureLimit: 1,
      consecutiveErrorLimit: 4,
      successCondition: 'len(result) == 0 || (result[0] <= 0.05)',
      failureCondition: 'len(result) > 0 && (result[0] > 0.05)',
    })
    expect(errors!.count).toBeUndefined() // background analysis: measured until the rollout ends
    expect(errors!.provider.prometheus.query).toContain(
      'sluice_inference_requests_total{deployment="{{args.deployment}}",version="{{args.canary-version}}",code=~"5.."}[1m]',
    )
    expect(errors!.provider.prometheus.query).toMatch(/>= 20\)$/)
    expect(p50!.successCondition).toBe('len(result) == 0 || (result[0] <= 40 && result[0] >= 1)')
    expect(p50!.failureCondition).toBe('len(result) > 0 && (result[0] > 40 || result[0] < 1)')

    const q = p99!.provider.prometheus.query
    expect(p99).toMatchObject({ consecutiveErrorLimit: 3, failureCondition: 'len(result) > 0' })
    expect(q).toContain('histogram_quantile(0.99,')
    expect(q).toContain('version="{{args.canary-version}}"')
    expect(q).toContain('version="{{args.stable-version}}"')
    expect(q).toMatch(/> \(.*stable-version.*\) \* 2$/m)
    expect(q).toMatch(/> \(.*stable-version.*\) \+ 25$/m)
    expect(q.match(/>= 50\)/g)).toHaveLength(2) // min_samples on both versions
  })

  it('says where the queries judge differently from sluice', () => {
    const text = argoRolloutsManifest(rolling)
    expect(text).toMatch(/^# .*returns nothing, which passes/m)
    expect(text).not.toMatch(/Fisher/)
    const rise = rule({ metric: 'error_rate', vs_stable: { max_increase: 0.02 } })
    const withRise = { ...canary, analysis: { ...canary.analysis, rules: [rise] } }
    const m = validate(argoRolloutsManifest({ ...rolling, spec: withRise }))
    expect(m.AnalysisTemplate!.spec.metrics.map((x) => x.name)).toEqual(['error_rate-vs-stable'])
    expect(argoRolloutsManifest({ ...rolling, spec: withRise })).toMatch(
      /^# .*only when significant \(Fisher p < 0\.05\)/m,
    )
  })

  it('queries series that sluice serving exposes, once the Rollout passes its args', async () => {
    const m = validate(argoRolloutsManifest(rolling))
    const args = new Map(m.Rollout!.spec.strategy.canary.analysis!.args!.map((a) => [a.name, a.value]))
    expect(Object.fromEntries(args)).toEqual({
      deployment: 'churn-api',
      'canary-version': '4',
      'stable-version': '3',
    })
    expect(m.AnalysisTemplate!.spec.args!.map((a) => a.name).sort()).toEqual([...args.keys()].sort())
    expect(m.Rollout!.spec.strategy.canary.analysis!.templates).toEqual([
      { templateName: 'churn-api-analysis' },
    ])
    expect(m.AnalysisTemplate!.metadata.name).toBe('churn-api-analysis')

    const served = new ServingMetrics(() => 0)
    served.forVersion('churn-api', 3).finished(200, null, 0.004)
    served.forVersion('churn-api', 4).finished(500, 'model failed', 0.02)
    const exposition = (await served.text()).split('\n')
    for (const x of m.AnalysisTemplate!.spec.metrics) {
      const query = x.provider.prometheus.query.replace(
        /\{\{args\.([\w-]+)\}\}/g,
        (_, a: string) => args.get(a)!,
      )
      expect(query).not.toContain('{{')
      expect(query.split('(').length).toBe(query.split(')').length)
      for (const [, series, matchers] of query.matchAll(/(sluice_\w+)\{([^}]*)\}/g)) {
        const selects = (line: string) =>
          matchers!.split(',').every((mt) => {
            const [, label, op, want] = /^(\w+)(=~|=)"(.*)"$/.exec(mt)!
            const got = new RegExp(`[{,]${label}="([^"]*)"`).exec(line)?.[1]
            return got !== undefined && (op === '=' ? got === want : new RegExp(`^(?:${want})$`).test(got))
          })
        const hit = exposition.some((l) => l.startsWith(`${series}{`) && selects(l))
        expect(hit, `${series}{${matchers}} selects a series of sluice's /metrics`).toBe(true)
      }
    }
  })

  it('names the rules only sluice evaluates, and leaves out an analysis with none to run', () => {
    const text = argoRolloutsManifest(rolling)
    expect(text).toMatch(
      /^# Evaluated only by sluice's own server, not exported: drift, quality:accuracy\.$/m,
    )
    expect(validate(text).Rollout!.metadata.annotations!['sluice.dev/rules-not-exported']).toBe(
      'drift, quality:accuracy',
    )

    const onlyDrift = { ...canary, analysis: { ...canary.analysis, rules: [canary.analysis.rules[3]!] } }
    const m = validate(argoRolloutsManifest({ ...rolling, spec: onlyDrift }))
    expect(m.order).toEqual(['Service', 'Rollout'])
    expect(m.Rollout!.spec.strategy.canary.analysis).toBeUndefined()
  })

  it('writes the stable version alone, with no steps, when there is no rollout', () => {
    const m = validate(argoRolloutsManifest(plain))
    expect(m.order).toEqual(['Service', 'Rollout'])
    const r = m.Rollout!
    expect(r.spec.strategy.canary).toEqual({})
    expect(r.spec.template.spec.containers[0]!.image).toBe('ghcr.io/sluice/sluice:latest')
    expect(r.spec.template.spec.containers[0]!.env).toContainEqual({ name: POD_ENV.model, value: 'churn@3' })
    expect(r.spec.template.spec.containers[0]!.args).toEqual(['serve', '--host', '0.0.0.0', '--port', '8321'])
  })

  it('makes a Kubernetes name of the deployment, keeping the real one in labels of the queries', () => {
    const m = validate(argoRolloutsManifest({ ...rolling, deployment: 'Churn_API.v2' }))
    expect(m.Rollout!.metadata.name).toBe('churn-api-v2')
    expect(m.Rollout!.metadata.annotations!['sluice.dev/deployment']).toBe('Churn_API.v2')
    expect(m.Rollout!.spec.strategy.canary.analysis!.args).toContainEqual({
      name: 'deployment',
      value: 'Churn_API.v2',
    })
    expect(
      validate(argoRolloutsManifest({ ...plain, deployment: '2024-model' })).Rollout!.metadata.name,
    ).toBe('sluice-2024-model')
  })

  it('refuses shadow and A/B rollouts, and versions its metrics cannot tell apart', () => {
    const shadow = refusal(() =>
      argoRolloutsManifest({ ...rolling, spec: { ...canary, strategy: 'shadow' } }),
    )
    expect(shadow.message).toMatch(/^Argo Rollouts cannot run sluice's shadow rollout faithfully/)
    expect(shadow.message).toContain('shadow_disagreement')
    expect(shadow.message).toContain('sluice deploy --strategy shadow')
    const ab = refusal(() =>
      argoRolloutsManifest({ ...rolling, spec: { ...canary, strategy: 'ab', steps: [] } }),
    )
    expect(ab.message).toMatch(/^Argo Rollouts cannot run sluice's A\/B test faithfully/)
    expect(ab.message).toContain('sluice deploy --strategy ab')
    const same = refusal(() =>
      argoRolloutsManifest({ ...rolling, candidate: { ...candidate, name: 'churn-xgb', version: 3 } }),
    )
    expect(same.message).toMatch(/both version 3/)
  })
})
