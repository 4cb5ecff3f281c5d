import { stringify } from 'yaml'

export interface GithubOptions {
  /** The evaluation the pipeline writes (the `out` of its sluice/evaluate stage). */
  evaluation: string
  /** The model to gate against, e.g. `flight-delay@champion`; null: absolute rules only. */
  against: string | null
  /** Node.js major version of the jobs and of the image. */
  node: string
}

/**
 * The GitHub Actions workflow `sluice ci github` writes: unit tests, then the pipeline and its gate
 * (job summary + JUnit report), then on main a model-server image pushed to the registry the
 * repository variables name. The home folder (registry and content-hash cache) travels between
 * runs and jobs in the Actions cache, so unchanged stages are skipped in CI too.
 */
export function githubWorkflow(o: GithubOptions): string {
  const setup = [
    { uses: 'actions/checkout@v4' },
    { uses: 'actions/setup-node@v4', with: { 'node-version': o.node, cache: 'npm' } },
    { run: 'npm ci' },
  ]
  const home = {
    name: 'Restore the sluice home (registry and stage cache)',
    uses: 'actions/cache@v4',
    with: {
      path: '.sluice',
      key: "sluice-${{ github.ref_name }}-${{ hashFiles('sluice.yaml', 'params.yaml', 'package-lock.json') }}-${{ github.sha }}",
      'restore-keys': 'sluice-${{ github.ref_name }}-\nsluice-main-',
    },
  }
  const gate = ['npx sluice gate', `--evaluation ${o.evaluation}`]
  if (o.against) gate.push(`--against ${o.against}`)
  gate.push('--junit reports/gate-junit.xml --markdown reports/gate.md --out reports/gate.json')
  const image = '${{ vars.IMAGE_REGISTRY }}/${{ vars.IMAGE_NAME }}'
  const workflow = {
    name: 'sluice',
    on: {
      push: {
        branches: ['main'],
        paths: [
          'src/**',
          'models/**',
          'data/**',
          'sluice.yaml',
          'params.yaml',
          '.github/workflows/sluice.yml',
        ],
      },
      pull_request: {},
    },
    permissions: { contents: 'read' },
    concurrency: { group: 'sluice-${{ github.ref }}', 'cancel-in-progress': true },
    env: { ONNXRUNTIME_NODE_INSTALL: 'skip' },
    jobs: {
      test: {
        name: 'Unit tests',
        'runs-on': 'ubuntu-latest',
        steps: [...setup, { run: 'npm test' }],
      },
      'model-evaluation': {
        name: 'Pipeline and quality gate',
        needs: 'test',
        'runs-on': 'ubuntu-latest',
        steps: [
          ...setup,
          home,
          { name: 'Run the pipeline (unchanged stages come from the cache)', run: 'npx sluice run' },
          { name: 'Quality gate (also writes the job summary)', run: gate.join(' \\\n  ') },
          {
            name: 'Upload the gate report',
            if: '${{ always() }}',
            uses: 'actions/upload-artifact@v4',
            with: { name: 'gate-report', path: 'reports/', 'if-no-files-found': 'ignore' },
          },
          {
            name: 'Publish the JUnit report',
            if: '${{ always() }}',
            uses: 'mikepenz/action-junit-report@v4',
            with: { report_paths: 'reports/gate-junit.xml', check_name: 'Quality gate' },
          },
        ],
        permissions: { contents: 'read', checks: 'write' },
      },
      'build-and-push': {
        name: 'Model server image',
        needs: 'model-evaluation',
        if: "github.event_name == 'push' && github.ref == 'refs/heads/main'",
        'runs-on': 'ubuntu-latest',
        steps: [
          { uses: 'actions/checkout@v4' },
          home,
          { uses: 'docker/setup-buildx-action@v3' },
          {
            uses: 'docker/login-action@v3',
            with: {
              registry: '${{ vars.IMAGE_REGISTRY }}',
              username: '${{ secrets.REGISTRY_USERNAME }}',
              password: '${{ secrets.REGISTRY_PASSWORD }}',
            },
          },
          {
            uses: 'docker/build-push-action@v6',
            with: { context: '.', push: true, tags: `${image}:latest\n${image}:\${{ github.sha }}` },
          },
        ],
      },
    },
  }
  return `# Written by \`sluice ci github\`. Repository variables: IMAGE_REGISTRY, IMAGE_NAME;\n# secrets: REGISTRY_USERNAME, REGISTRY_PASSWORD.\n${stringify(workflow, { lineWidth: 0 })}`
}

/** The model server's image: the project's dependencies, its sluice.yaml and its home (registry). */
export function dockerfile(o: { node: string }): string {
  return `# Written by \`sluice ci github\`: the model server of this project.
FROM node:${o.node}-bookworm-slim
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip SLUICE_HOME=/app/.sluice
WORKDIR /app
COPY package.json package-lock.json .npmrc* ./
RUN npm ci --omit=dev && npm cache clean --force
COPY sluice.yaml ./
COPY .sluice/sluice.db* .sluice/
COPY .sluice/artifacts .sluice/artifacts
RUN chown -R node:node .sluice
EXPOSE 8321
USER node
CMD ["npx", "sluice", "server", "--host", "0.0.0.0", "--port", "8321"]
`
}
