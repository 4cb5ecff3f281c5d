import path from 'node:path'
import { stringify } from 'yaml'
import { CONFIG_FILE } from '../core/config.js'
import { type CiPlan, DOCKERFILE } from './ci-plan.js'

/**
 * The actions the workflow uses, at majors that run on the runners' Node.js 24 (GitHub removed
 * Node.js 20 from its runners in September 2026; older majors are forced onto 24 with a warning).
 */
const ACTIONS = {
  checkout: 'actions/checkout@v5',
  setupNode: 'actions/setup-node@v5',
  cache: 'actions/cache@v5',
  upload: 'actions/upload-artifact@v6',
  download: 'actions/download-artifact@v7',
  junit: 'mikepenz/action-junit-report@v6',
  buildx: 'docker/setup-buildx-action@v4',
  login: 'docker/login-action@v4',
  buildPush: 'docker/build-push-action@v7',
}

/** The image's folder: package.json and node_modules, with the project at or below it. */
export const IMAGE_WORKDIR = '/app'
const HOME_ARTIFACT = 'sluice-home'

const join = (...parts: string[]) => path.posix.join(...parts.filter((p) => p !== '')) || '.'
/** A step's `working-directory`, left out for the repository root. */
const workingDirectory = (dir: string) => (dir === '' ? {} : { 'working-directory': dir })
/** A word for `sh`, quoted when it needs to be. */
const sh = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)

/**
 * The GitHub Actions workflow: unit tests (when package.json has a test script), then `sluice run` —
 * whose sluice/gate stages gate the model before its sluice/register stage moves the alias, and
 * fail the job when the gate fails — with the gate reports published; then, on pushes to the
 * branch, the model server's image built from the home that run left and pushed. The home travels
 * from run to run in the Actions cache (unchanged stages are skipped) and from the evaluation job to
 * the image build as an artifact of the run (a cache miss there would leave nothing to serve).
 */
export function githubWorkflow(plan: CiPlan): string {
  const onBranch = `github.event_name == 'push' && github.ref == 'refs/heads/${plan.branch}'`
  const lock = join(plan.packageDir, 'package-lock.json')
  // Fresh objects at every use: the YAML has no anchors (actionlint before 1.7.10 and GitHub
  // Enterprise Server refuse them).
  const setup = () => [
    { uses: ACTIONS.checkout },
    {
      uses: ACTIONS.setupNode,
      with: {
        'node-version': plan.node,
        cache: 'npm',
        ...(plan.packageDir === '' ? {} : { 'cache-dependency-path': lock }),
      },
    },
    { run: 'npm ci', ...workingDirectory(plan.packageDir) },
  ]
  const config = plan.configFile === CONFIG_FILE ? '' : ` --config ${sh(plan.configFile)}`
  const home = join(plan.project, plan.home)
  const reports = plan.gates.flatMap((g) => [g.junit, g.markdown, g.out].filter((r) => r !== null))
  const evaluation = [
    ...setup(),
    {
      name: 'Restore the sluice home (registry and stage cache)',
      uses: ACTIONS.cache,
      with: {
        path: home,
        key: 'sluice-home-${{ github.ref_name }}-${{ github.sha }}',
        'restore-keys':
          'sluice-home-${{ github.ref_name }}-\nsluice-home-${{ github.event.repository.default_branch }}-',
      },
    },
    {
      name: 'Run the pipeline (its gate runs before register moves the alias; a failed gate fails the job)',
      run: `npx sluice run${config}`,
    },
    ...plan.gates
      .filter((g) => g.markdown !== null)
      .map((g) => ({
        name: `Gate report of stage ${g.stage} in the job summary`,
        if: '${{ !cancelled() }}',
        run: `if [ -f ${sh(g.markdown!)} ]; then cat ${sh(g.markdown!)} >> "$GITHUB_STEP_SUMMARY"; fi`,
      })),
    ...(reports.length === 0
      ? []
      : [
          {
            name: 'Upload the gate reports',
            if: '${{ !cancelled() }}',
            uses: ACTIONS.upload,
            with: {
              name: 'gate-reports',
              path: reports.map((r) => join(plan.project, r)).join('\n'),
              'if-no-files-found': 'ignore',
            },
          },
        ]),
    ...plan.gates
      .filter((g) => g.junit !== null)
      .map((g, _, all) => ({
        name: `Publish the JUnit report of stage ${g.stage}`,
        // A pull request from a fork gets a read-only token, which cannot create a check.
        if: "${{ !cancelled() && (github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository) }}",
        uses: ACTIONS.junit,
        with: {
          report_paths: join(plan.project, g.junit!),
          check_name: all.length === 1 ? 'Quality gate' : `Quality gate (${g.stage})`,
        },
      })),
    {
      name: 'Hand the home to the image build',
      if: onBranch,
      uses: ACTIONS.upload,
      with: {
        name: HOME_ARTIFACT,
        path: home,
        'include-hidden-files': true,
        'if-no-files-found': 'error',
        'retention-days': 1,
      },
    },
  ]
  const image = '${{ vars.IMAGE_REGISTRY }}/${{ vars.IMAGE_NAME }}'
  const workflow = {
    name: 'sluice',
    on: {
      push: { branches: [plan.branch], paths: plan.paths },
      pull_request: {},
    },
    permissions: { contents: 'read' },
    concurrency: { group: 'sluice-${{ github.ref }}', 'cancel-in-progress': true },
    // onnxruntime-node's CPU binaries ship in its package; its install script would download GPU ones.
    env: { ONNXRUNTIME_NODE_INSTALL: 'skip' },
    jobs: {
      ...(plan.testJob && {
        test: {
          name: 'Unit tests',
          'runs-on': 'ubuntu-latest',
          steps: [...setup(), { run: 'npm test', ...workingDirectory(plan.packageDir) }],
        },
      }),
      'model-evaluation': {
        name: 'Pipeline and quality gate',
        ...(plan.testJob && { needs: 'test' }),
        'runs-on': 'ubuntu-latest',
        permissions: { contents: 'read', checks: 'write' },
        ...(plan.project !== '' && { defaults: { run: { 'working-directory': plan.project } } }),
        steps: evaluation,
      },
      'build-and-push': {
        name: 'Model server image',
        needs: 'model-evaluation',
        if: onBranch,
        'runs-on': 'ubuntu-latest',
        steps: [
          { uses: ACTIONS.checkout },
          {
            name: 'The home the pipeline built (registry and artifacts)',
            uses: ACTIONS.download,
            with: { name: HOME_ARTIFACT, path: home },
          },
          { uses: ACTIONS.buildx },
          {
            uses: ACTIONS.login,
            with: {
              registry: '${{ vars.IMAGE_REGISTRY }}',
              username: '${{ secrets.REGISTRY_USERNAME }}',
              password: '${{ secrets.REGISTRY_PASSWORD }}',
            },
          },
          {
            uses: ACTIONS.buildPush,
            with: {
              context: join(plan.packageDir),
              file: join(plan.packageDir, DOCKERFILE),
              push: true,
              tags: `${image}:latest\n${image}:\${{ github.sha }}`,
              // The project's .npmrc reaches `npm ci` as a build secret, never a layer of the image.
              ...(plan.npmrc && { 'secret-files': `npmrc=${join(plan.packageDir, '.npmrc')}` }),
            },
          },
        ],
      },
    },
  }
  const text = stringify(workflow, { lineWidth: 0, aliasDuplicateObjects: false })
  return `# Written by \`sluice ci github\` (see sluice's docs/ci.md). Repository variables: IMAGE_REGISTRY,\n# IMAGE_NAME; secrets: REGISTRY_USERNAME, REGISTRY_PASSWORD.\n${text}`
}

/**
 * The model server's image: the project's production dependencies, its sluice.yaml and the home
 * the pipeline built; `sluice serve` (inference routes only, no REST API) deploys the served
 * reference at start, listening on all interfaces at the port of SLUICE_PORT.
 */
export function dockerfile(plan: CiPlan): string {
  // The build context is the package folder; the project may lie in a folder below it.
  const sub = path.posix.relative(plan.packageDir, plan.project)
  const copy = (from: string) => `COPY --chown=node:node ${execForm([join(sub, from), join(sub, from)])}`
  const cmd = [
    join(IMAGE_WORKDIR, 'node_modules/.bin/sluice'),
    'serve',
    plan.serve.model,
    '--deployment',
    plan.serve.deployment,
    ...(plan.configFile === CONFIG_FILE ? [] : ['--config', plan.configFile]),
  ]
  return `# syntax=docker/dockerfile:1
# Written by \`sluice ci github\`: serves ${plan.serve.model} as the deployment ${plan.serve.deployment}
# (Open Inference Protocol v2, /metrics) from the home the pipeline built. The workflow puts that
# home into the build context first (see sluice's docs/ci.md).
ARG NODE_VERSION=${plan.node}
FROM node:\${NODE_VERSION}-trixie-slim
WORKDIR ${IMAGE_WORKDIR}
COPY package.json package-lock.json ./
# A project .npmrc comes in as a build secret (never a layer); onnxruntime-node's CPU binaries are
# in its package, and its install script would download GPU ones.
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc \\
    --mount=type=cache,target=/root/.npm \\
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev
${copy(plan.configFile)}
${copy(plan.home)}
${
  sub === ''
    ? ''
    : `WORKDIR ${join(IMAGE_WORKDIR, sub)}
`
}USER node
ENV SLUICE_HOST=0.0.0.0 SLUICE_PORT=${plan.port}
EXPOSE ${plan.port}
CMD ${execForm(cmd)}
`
}

/** A JSON array as Dockerfiles write it (exec form). */
const execForm = (words: string[]) => `[${words.map((w) => JSON.stringify(w)).join(', ')}]`
