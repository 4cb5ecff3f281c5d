import path from 'node:path'
import { SluiceError } from '../core/errors.js'
import { checkName } from '../registry/names.js'
import { parseModelRef } from '../registry/refs.js'
import type { Pipeline } from './spec.js'

const posix = path.posix

/** What `sluice ci github` found in the project (read by `ci-project.ts`); paths are absolute. */
export interface CiFacts {
  /** The folder holding `.git`; GitHub reads workflows from its `.github/workflows`. */
  repoRoot: string
  /** False: no `.git` above the project, whose folder is taken as the repository root. */
  gitFound: boolean
  /** The folder messages name paths from (where the command runs). */
  cwd: string
  pipeline: Pipeline
  /** The home, store and artifact paths as a CI job resolves them (no --home, no SLUICE_HOME). */
  home: { home: string; store: string; artifacts: string }
  /** The nearest folder from the project up to the repository root that holds a package.json. */
  packageDir: string | null
  packageJson: Record<string, unknown> | null
  hasLock: boolean
  hasNpmrc: boolean
  /** What a path is on disk. */
  kind(file: string): 'file' | 'dir' | 'missing'
}

export interface CiOptions {
  /** The version the image serves, e.g. `flight-delay@champion`; default: the register stage's NAME@ALIAS. */
  model?: string | undefined
  /** The deployment it answers; default: the model's name. */
  deployment?: string | undefined
  node: string
  branch: string
  port: number
  sluiceVersion: string
  today: string
}

/** A gate stage's reports, relative to the project folder. */
export interface GateReports {
  stage: string
  junit: string | null
  markdown: string | null
  out: string | null
}

/**
 * Everything the workflow and the Dockerfile are written from. Folders are relative to the
 * repository root, posix-style, '' for the root itself.
 */
export interface CiPlan {
  /** The folder of sluice.yaml: the pipeline runs there. */
  project: string
  /** The folder of package.json and package-lock.json: npm runs there and it is the image's build context. */
  packageDir: string
  /** The config file's name when it is not sluice.yaml (passed as --config). */
  configFile: string
  /** The home, relative to the project folder. */
  home: string
  gates: GateReports[]
  serve: { model: string; deployment: string }
  /** Push path filters, relative to the repository root. */
  paths: string[]
  /** Files the pipeline reads that no push filter names, and why. */
  unfiltered: { path: string; reason: string }[]
  /** The package.json has a test script: the workflow runs `npm test` first. */
  testJob: boolean
  npmrc: boolean
  node: string
  branch: string
  port: number
  warnings: string[]
}

export const WORKFLOW_FILE = '.github/workflows/sluice.yml'
export const DOCKERFILE = 'Dockerfile'
/** What `npm init` writes when there are no tests. */
const NO_TEST = /no test specified/

export function planCi(f: CiFacts, o: CiOptions): CiPlan {
  const project = repoPath(f, f.pipeline.root)
  const packageDir = checkPackage(f, o.sluiceVersion)
  const warnings: string[] = []
  const node = checkNode(o.node, o.today, warnings)
  if (!f.gitFound)
    warnings.push(
      `no git repository holds ${f.pipeline.root}; the files are written as if it were the repository's root folder`,
    )
  const gates = gateReports(f.pipeline)
  if (gates.length === 0)
    warnings.push(
      'the pipeline has no sluice/gate stage: nothing checks the model in CI before it is registered, and the workflow publishes no gate report; add a sluice/gate stage between evaluate and register (docs/gates.md)',
    )
  const scripts = (f.packageJson?.scripts ?? {}) as Record<string, unknown>
  const lifecycle = ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => s in scripts)
  if (lifecycle.length)
    warnings.push(
      `package.json has ${lifecycle.map((s) => `a "${s}" script`).join(' and ')}, which \`npm ci --omit=dev\` in the image runs with only package.json and package-lock.json copied and no dev dependencies; make it work there or remove it`,
    )
  if (!/^[^\s~^:?*[\\]+$/.test(o.branch))
    throw new SluiceError('USAGE', `--branch must be a branch name, got "${o.branch}"`)
  const { paths, unfiltered } = pushPaths(f, project, packageDir)
  for (const u of unfiltered.filter((x) => x.reason === OUTSIDE))
    warnings.push(`the pipeline reads ${u.path}, which is ${OUTSIDE}; commit it or fetch it in a stage`)
  return {
    project,
    packageDir,
    configFile: path.basename(f.pipeline.file),
    home: homePath(f),
    gates,
    serve: servedModel(f.pipeline, o),
    paths,
    unfiltered,
    testJob: typeof scripts.test === 'string' && !NO_TEST.test(scripts.test),
    npmrc: f.hasNpmrc,
    node,
    branch: o.branch,
    port: o.port,
    warnings,
  }
}

/** An absolute path relative to the repository root ('' for the root); null when outside it. */
function relativeToRepo(f: CiFacts, abs: string): string | null {
  const rel = path.relative(f.repoRoot, abs).split(path.sep).join('/')
  return rel === '..' || rel.startsWith('../') || path.isAbsolute(rel) ? null : rel
}

/** A path as messages name it: relative to where the command runs. */
const shown = (f: CiFacts, abs: string) => path.relative(f.cwd, abs) || '.'

function repoPath(f: CiFacts, abs: string): string {
  const rel = relativeToRepo(f, abs)
  if (rel === null) throw new Error(`${abs} is outside the repository ${f.repoRoot}`) // found by walking up from it
  return rel
}

/**
 * The image installs sluice with `npm ci --omit=dev`, and the jobs with `npm ci`: both need a
 * package.json and a package-lock.json, with sluice among the production dependencies.
 */
function checkPackage(f: CiFacts, version: string): string {
  // sluice is not on the npm registry (`npm install sluice` would find nothing, or a stranger's package).
  const from = `from its git URL or a tarball packed in its clone (\`npm install --save path/to/sluice-${version}.tgz\`; sluice is not on the npm registry)`
  const where = shown(f, f.packageDir ?? f.pipeline.root)
  const file = (name: string) => shown(f, path.join(f.packageDir ?? f.pipeline.root, name))
  if (!f.packageDir || !f.packageJson)
    throw new SluiceError(
      'INVALID_CONFIG',
      `no package.json in ${where} or a folder above it in the repository: the CI jobs and the image install sluice from it with npm ci; create one there with \`npm init -y\`, add sluice to it ${from}, and commit package.json and package-lock.json`,
    )
  const dependencies = (f.packageJson.dependencies ?? {}) as Record<string, unknown>
  const dev = (f.packageJson.devDependencies ?? {}) as Record<string, unknown>
  const missing: string[] = []
  if (!('sluice' in dependencies))
    missing.push(
      'sluice' in dev
        ? `sluice is only a devDependency in ${file('package.json')}, and the image installs production dependencies (npm ci --omit=dev): move it with \`npm install --save sluice@${String(dev.sluice)}\``
        : `${file('package.json')} does not depend on sluice: add it ${from}`,
    )
  if (!f.hasLock)
    missing.push(
      `${file('package-lock.json')} is missing and npm ci needs it: run \`npm install\` in ${where} and commit it`,
    )
  if (missing.length)
    throw new SluiceError('INVALID_CONFIG', `cannot write CI files that would fail: ${missing.join('; ')}`)
  return repoPath(f, f.packageDir)
}

/** Node.js lines and the end of their support (nodejs/Release). From 27 on, every line becomes LTS. */
const NODE_EOL: Record<number, string> = {
  18: '2025-04-30',
  20: '2026-04-30',
  22: '2027-04-30',
  24: '2028-04-30',
  26: '2029-04-30',
}

function checkNode(node: string, today: string, warnings: string[]): string {
  if (!/^\d+(\.\d+){0,2}$/.test(node))
    throw new SluiceError('USAGE', `--node must be a Node.js version such as 24 or 24.11, got "${node}"`)
  const major = Number(node.split('.')[0])
  const eol = NODE_EOL[major]
  if (major < 27 && major % 2 === 1)
    warnings.push(`Node.js ${major} is not a long-term-support line; choose 24 or 26 (--node)`)
  else if (major < 18 || (eol !== undefined && eol <= today))
    warnings.push(
      `Node.js ${major} reached its end of life${eol ? ` on ${eol}` : ''} and gets no security fixes; choose 24 or 26 (--node)`,
    )
  return node
}

function gateReports(p: Pipeline): GateReports[] {
  const rel = (v: unknown) => (typeof v === 'string' ? posix.normalize(v) : null)
  return Object.entries(p.spec)
    .filter(([, s]) => s.uses === 'sluice/gate')
    .map(([stage, s]) => ({
      stage,
      junit: rel(s.with?.junit),
      markdown: rel(s.with?.markdown),
      out: rel(s.with?.out),
    }))
}

/** The version the image serves: --model, else what the pipeline's sluice/register stage names. */
function servedModel(p: Pipeline, o: CiOptions): CiPlan['serve'] {
  const choose = 'name the version the image serves with --model NAME@REF (e.g. NAME@champion)'
  let model = o.model
  if (model === undefined) {
    const registers = Object.values(p.spec).filter((s) => s.uses === 'sluice/register')
    const refs = [
      ...new Set(
        registers
          .filter((s) => typeof s.with?.alias === 'string')
          .map((s) => `${s.with!.name}@${s.with!.alias}`),
      ),
    ]
    if (refs.length === 1) model = refs[0]!
    else
      throw new SluiceError(
        'USAGE',
        registers.length === 0
          ? `the pipeline has no sluice/register stage, so the image has no registered model to serve; ${choose}`
          : refs.length === 0
            ? `the pipeline's sluice/register stage moves no alias, so no reference follows its newest model; give the stage an alias (e.g. alias: champion) or ${choose}`
            : `the pipeline registers several models (${refs.join(', ')}); ${choose}`,
      )
  }
  const ref = parseModelRef(model)
  return { model, deployment: checkName('deployment', o.deployment ?? ref.name) }
}

/** The home must lie in the project: the CI jobs carry it from job to job and into the image. */
function homePath(f: CiFacts): string {
  const { home, store, artifacts } = f.home
  const inside = (child: string, parent: string) => {
    const rel = path.relative(parent, child)
    return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel)
  }
  if (!inside(home, f.pipeline.root))
    throw new SluiceError(
      'INVALID_CONFIG',
      `the home ${shown(f, home)} is outside the project folder ${shown(f, f.pipeline.root)}; the CI jobs carry the home between jobs and into the image, so set home: to a folder inside the project in ${path.basename(f.pipeline.file)}`,
    )
  for (const [key, p] of [
    ['store.path', store],
    ['artifacts.path', artifacts],
  ] as const) {
    if (!inside(p, home))
      throw new SluiceError(
        'INVALID_CONFIG',
        `${key} (${shown(f, p)}) is outside the home ${shown(f, home)}; the CI jobs carry the home folder only, so remove ${key} from ${path.basename(f.pipeline.file)} or point it inside the home`,
      )
  }
  return path.relative(f.pipeline.root, home).split(path.sep).join('/')
}

const OUTSIDE = 'outside the repository, so the CI checkout does not have it'

/** GitHub path filters are globs: characters that are special there are escaped. */
const globEscape = (p: string) => p.replace(/[*?+[\]!\\]/g, '\\$&')

/**
 * The push filters: every file the pipeline reads that is not the output of one of its stages (the
 * same files the stage cache hashes), its config and params, the package files, the Dockerfile and
 * the workflow itself. A folder becomes `folder/**`.
 */
function pushPaths(
  f: CiFacts,
  project: string,
  packageDir: string,
): { paths: string[]; unfiltered: CiPlan['unfiltered'] } {
  const p = f.pipeline
  const produced = p.stages.flatMap((s) => [...s.outs, ...s.metrics])
  const isProduced = (dep: string) => produced.some((o) => dep === o || dep.startsWith(`${o}/`))
  const paths = new Set<string>()
  const unfiltered: CiPlan['unfiltered'] = []
  const add = (rel: string, abs: string) => {
    paths.add(f.kind(abs) === 'dir' ? `${globEscape(rel)}/**` : globEscape(rel))
  }
  for (const dep of new Set(p.stages.flatMap((s) => s.deps))) {
    if (isProduced(dep)) continue
    const abs = path.resolve(p.root, dep)
    const rel = relativeToRepo(f, abs)
    if (rel === null) unfiltered.push({ path: dep, reason: OUTSIDE })
    else if (rel.split('/').includes('node_modules'))
      unfiltered.push({ path: dep, reason: 'installed by npm: package-lock.json is filtered instead' })
    else add(rel, abs)
  }
  const inProject = (file: string) => posix.join(project, file)
  paths.add(globEscape(inProject(path.basename(p.file))))
  if (f.kind(p.params.file) === 'file') paths.add(globEscape(inProject(path.basename(p.params.file))))
  const inPackage = (file: string) => globEscape(posix.join(packageDir, file))
  for (const file of ['package.json', 'package-lock.json', DOCKERFILE]) paths.add(inPackage(file))
  if (f.hasNpmrc) paths.add(inPackage('.npmrc'))
  paths.add(WORKFLOW_FILE)
  return { paths: [...paths].sort(), unfiltered }
}
