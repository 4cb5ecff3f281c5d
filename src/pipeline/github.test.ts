import { validateWorkflow } from '@action-validator/core'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { dockerfile, githubWorkflow } from './github.js'

describe('sluice ci github', () => {
  const text = githubWorkflow({
    evaluation: 'reports/evaluation.json',
    against: 'flight-delay@champion',
    node: '20',
  })

  it('writes a workflow the GitHub Actions validator accepts', () => {
    const state = validateWorkflow(text)
    expect(state.errors).toEqual([])
    // The validator does catch mistakes: a job with no steps and no runner is refused.
    expect(
      validateWorkflow(text.replace('runs-on: ubuntu-latest', 'runs-on: [')).errors.length,
    ).toBeGreaterThan(0)
  })

  it('runs tests, then the pipeline and gate, then builds and pushes the image on main only', () => {
    const wf = parse(text)
    expect(wf.on.push.branches).toEqual(['main'])
    expect(wf.on.push.paths).toEqual(expect.arrayContaining(['src/**', 'models/**', 'data/**']))
    expect(wf.on).toHaveProperty('pull_request')
    expect(Object.keys(wf.jobs)).toEqual(['test', 'model-evaluation', 'build-and-push'])
    expect(wf.jobs['model-evaluation'].needs).toBe('test')
    expect(wf.jobs['build-and-push'].needs).toBe('model-evaluation')
    expect(wf.jobs['build-and-push'].if).toBe(
      "github.event_name == 'push' && github.ref == 'refs/heads/main'",
    )
    const runs = wf.jobs['model-evaluation'].steps.map((s: { run?: string }) => s.run ?? '').join('\n')
    expect(runs).toContain('npx sluice run')
    expect(runs).toMatch(
      /npx sluice gate[\s\S]*--evaluation reports\/evaluation.json[\s\S]*--against flight-delay@champion[\s\S]*--junit reports\/gate-junit.xml/,
    )
    const push = wf.jobs['build-and-push'].steps.find((s: { uses?: string }) =>
      s.uses?.startsWith('docker/build-push-action'),
    )
    expect(push.with.tags).toBe(
      '${{ vars.IMAGE_REGISTRY }}/${{ vars.IMAGE_NAME }}:latest\n${{ vars.IMAGE_REGISTRY }}/${{ vars.IMAGE_NAME }}:${{ github.sha }}',
    )
    const login = wf.jobs['build-and-push'].steps.find((s: { uses?: string }) =>
      s.uses?.startsWith('docker/login-action'),
    )
    expect(login.with.password).toBe('${{ secrets.REGISTRY_PASSWORD }}')
  })

  it('leaves --against out when there is no model to compare with', () => {
    const wf = githubWorkflow({ evaluation: 'eval.json', against: null, node: '22' })
    expect(validateWorkflow(wf).errors).toEqual([])
    expect(wf).not.toContain('--against')
    expect(wf).toContain('node-version: "22"')
  })

  it('writes a Dockerfile that serves the model server on 8321', () => {
    const d = dockerfile({ node: '20' })
    expect(d).toMatch(/^FROM node:20-bookworm-slim$/m)
    expect(d).toContain('RUN npm ci --omit=dev')
    expect(d).toMatch(/^CMD \["npx", "sluice", "server", "--host", "0.0.0.0", "--port", "8321"\]$/m)
  })
})
