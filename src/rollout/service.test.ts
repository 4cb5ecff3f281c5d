import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { logisticModel } from '../../scripts/onnx-fixtures.mjs'
import { loadConfig } from '../core/config.js'
import { LocalRegistry } from '../registry/local.js'
import { deploy } from '../serving/deploy.js'
import type { Measurement } from './analysis.js'
import type { RolloutState } from './machine.js'
import { buildPlan } from './plan.js'
import { beginRollout, moveRunning, rollback } from './service.js'

const registries: LocalRegistry[] = []
afterEach(async () => {
  while (registries.length) await registries.pop()!.close()
})

/** A home with versions 1–3 of `m` (3 of them registered as `other@1` too, for a second model). */
async function home(): Promise<LocalRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-rollback-'))
  const registry = await LocalRegistry.open(loadConfig({ cwd: dir, env: {} }))
  registries.push(registry)
  for (const bias of [0, 1, 2]) {
    const file = path.join(dir, `m${bias}.onnx`)
    writeFileSync(file, logisticModel({ features: ['x'], weights: [1], bias }))
    await registry.registerModelVersion({
      name: 'm',
      artifact: await registry.storeArtifact(file),
      flavor: 'onnx',
    })
  }
  const file = path.join(dir, 'other.onnx')
  writeFileSync(file, logisticModel({ features: ['x'], weights: [2], bias: 0 }))
  await registry.registerModelVersion({
    name: 'other',
    artifact: await registry.storeArtifact(file),
    flavor: 'onnx',
  })
  return registry
}

const failing = (version: number): Measurement => ({
  rule: 'error_rate',
  metric: 'error_rate',
  version,
  value: 0.5,
  stable: 0.01,
  limit: 0.06,
  samples: 40,
  stable_samples: 400,
  verdict: 'fail',
  message: 'error rate 0.5 above 0.06',
})

const aliasesOf = async (registry: LocalRegistry, ref: string) =>
  (await registry.getModelVersion(ref)).aliases
const canary = buildPlan({ strategy: 'canary', steps: '10,100', pause: 'manual' })

describe('a rejected version loses its aliases in the transaction that rejects it', () => {
  it('an automatic abort moves the aliases of the candidate to the stable version and logs each move', async () => {
    const registry = await home()
    await deploy(registry, 'm@1', 'd')
    await registry.setAlias('m', 'champion', 2)
    await registry.setAlias('m', 'candidate', 2)
    await registry.setAlias('m', 'old', 1)
    await beginRollout(registry, 'd', 'm@2', canary)
    const moved = await moveRunning(registry, 'd', (now) => ({
      type: 'tick',
      now,
      measurements: [failing(2)],
    }))
    expect(moved.state.phase).toBe('aborted')
    const v2 = await registry.getModelVersion('m@2')
    expect([v2.status, v2.aliases]).toEqual(['rejected', []])
    expect(v2.status_reason).toMatch(/error rate 0\.5 above 0\.06 — rollout ro_\w+ on deployment "d", \d{4}-/)
    expect(await aliasesOf(registry, 'm@1')).toEqual(['candidate', 'champion', 'old'])
    expect(moved.aliases).toEqual([
      { model: 'm', alias: 'candidate', from: 2, to: 1 },
      { model: 'm', alias: 'champion', from: 2, to: 1 },
    ])
    const log = await registry.store.rollouts.decisions('d', { limit: 10 })
    expect(log.filter((d) => d.kind === 'alias').map((d) => d.message)).toEqual([
      'm@champion moved from version 2 to 1: version 2 was rejected',
      'm@candidate moved from version 2 to 1: version 2 was rejected',
    ])
    expect(new Set(log.filter((d) => d.kind !== 'measurement').map((d) => d.rollout)).size).toBe(1)
  })

  it('removes the alias of a candidate of another model: the deployment serves no version of it', async () => {
    const registry = await home()
    await deploy(registry, 'm@2', 'd')
    await registry.setAlias('other', 'champion', 1)
    await beginRollout(registry, 'd', 'other@1', canary)
    const moved = await moveRunning(registry, 'd', (now) => ({
      type: 'tick',
      now,
      measurements: [failing(1)],
    }))
    expect(moved.aliases).toEqual([{ model: 'other', alias: 'champion', from: 1, to: null }])
    expect(await aliasesOf(registry, 'other@1')).toEqual([])
    const log = await registry.store.rollouts.decisions('d', { limit: 10 })
    expect(log.find((d) => d.kind === 'alias')!.message).toBe(
      'other@champion removed: version 1 was rejected and the deployment serves no other version of other',
    )
  })

  it('a person aborting a rollout rejects nothing; `sluice rollback` of a running one rejects its candidate and moves its aliases', async () => {
    const registry = await home()
    await deploy(registry, 'm@1', 'd')
    await registry.setAlias('m', 'champion', 3)
    await beginRollout(registry, 'd', 'm@3', canary)
    await moveRunning(registry, 'd', (now) => ({ type: 'abort', now, reason: 'enough', by: 'test' }))
    expect((await registry.getModelVersion('m@3')).status).toBe('candidate')
    expect(await aliasesOf(registry, 'm@3')).toEqual(['champion'])

    await beginRollout(registry, 'd', 'm@3', canary)
    const back = await rollback(registry, 'd')
    expect(back).toEqual({
      from: 3,
      to: 1,
      model: 'm',
      aliases: [{ model: 'm', alias: 'champion', from: 3, to: 1 }],
    })
    const v3 = await registry.getModelVersion('m@3')
    expect([v3.status, v3.aliases]).toEqual(['rejected', []])
    expect(v3.status_reason).toMatch(/^rolled back by hand — rollout ro_\w+ on deployment "d"/)
    expect(await registry.store.resolveAlias('m', 'champion')).toBe(1)
  })

  it('`sluice rollback` outside a rollout moves the aliases to the version it redeploys, logged under its own id', async () => {
    const registry = await home()
    await deploy(registry, 'm@1', 'd')
    await deploy(registry, 'm@2', 'd')
    await registry.setAlias('m', 'champion', 2)
    const back = await rollback(registry, 'd')
    expect(back).toEqual({
      from: 2,
      to: 1,
      model: 'm',
      aliases: [{ model: 'm', alias: 'champion', from: 2, to: 1 }],
    })
    expect((await registry.store.deployments.getDeployment('d'))!.version).toBe(1)
    const v2 = await registry.getModelVersion('m@2')
    expect([v2.status, v2.aliases]).toEqual(['rejected', []])
    expect(v2.status_reason).toMatch(/^rolled back by hand to version 1 — deployment "d", \d{4}-/)
    const log = await registry.store.rollouts.decisions('d', { limit: 10 })
    expect(log.map((d) => [d.kind, d.message])).toEqual([
      ['alias', 'm@champion moved from version 2 to 1: version 2 was rejected'],
      ['rollback', 'rolled back by hand from m@2 to m@1'],
    ])
    expect(log[0]!.rollout).toMatch(/^rb_/)
    expect(log[1]!.rollout).toBe(log[0]!.rollout)
  })

  it('an A/B arm that leaves the test gives its aliases to the stable while the test goes on', async () => {
    const registry = await home()
    await deploy(registry, 'm@1', 'd')
    await registry.setAlias('m', 'challenger', 2)
    const plan = buildPlan({
      steps: '30',
      strategyFile: { name: 'ab.yaml', text: 'strategy: ab\narms:\n  - {model: m@3, weight: 30}\n' },
    })
    await beginRollout(registry, 'd', 'm@2', plan)
    const moved = await moveRunning(registry, 'd', (now) => ({
      type: 'tick',
      now,
      measurements: [failing(2)],
    }))
    expect((moved.state as RolloutState).phase).toBe('progressing')
    expect(moved.decisions.map((d) => d.kind)).toEqual(['measurement', 'reject', 'alias'])
    expect(await registry.store.resolveAlias('m', 'challenger')).toBe(1)
    expect((await registry.getModelVersion('m@2')).status).toBe('rejected')
  })
})

describe('a rejected version is not pointed at again without force, and a served one is not archived', () => {
  it('refuses an alias, a deploy and a rollout of a rejected version, saying why; force allows each', async () => {
    const registry = await home()
    await deploy(registry, 'm@1', 'd')
    await deploy(registry, 'm@2', 'd')
    await rollback(registry, 'd') // rejects 2
    const why =
      /^m@2 was rejected \(rolled back by hand to version 1 — deployment "d", [^)]+\); .* anyway with --force/
    await expect(registry.setAlias('m', 'champion', 2)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(why),
    })
    await expect(deploy(registry, 'm@2', 'e')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(why),
    })
    await expect(beginRollout(registry, 'd', 'm@2', canary)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(why),
    })
    // The store refuses too, whoever asks (a check before the write could be raced).
    await expect(
      registry.store.deployments.setDeployment({
        name: 'e',
        model: 'm',
        version: 2,
        alias: null,
        batching: null,
        at: '2026-01-01T00:00:00Z',
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await registry.store.deployments.getDeployment('e')).toBeNull()

    expect((await registry.setAlias('m', 'suspect', 2, { force: true })).version).toBe(2)
    expect((await deploy(registry, 'm@2', 'e', { force: true })).record.version).toBe(2)
  })

  it('refuses to archive a version a deployment serves or a rollout routes to, naming the deployments', async () => {
    const registry = await home()
    await deploy(registry, 'm@1', 'a')
    await deploy(registry, 'm@1', 'b')
    await deploy(registry, 'm@3', 'c')
    await expect(registry.setModelStatus('m@1', 'archived', null)).rejects.toMatchObject({
      code: 'CONFLICT',
      message:
        'm@1 answers deployment "a" (its stable version), "b" (its stable version); deploy another version there (or end the rollout) before archiving it',
    })
    await beginRollout(registry, 'c', 'm@2', canary)
    await expect(registry.setModelStatus('m@2', 'archived', null)).rejects.toThrow(
      /m@2 answers deployment "c" \(the canary of its rollout\)/,
    )
    await moveRunning(registry, 'c', (now) => ({ type: 'abort', now, reason: 'done', by: 'test' }))
    expect((await registry.setModelStatus('m@2', 'archived', 'superseded')).status).toBe('archived')
    expect((await registry.getModelVersion('m@1')).status).toBe('candidate')
  })

  it('refuses to reject by hand a version that answers traffic: a rollout would promote it anyway', async () => {
    const registry = await home()
    await deploy(registry, 'm@1', 'd')
    await beginRollout(registry, 'd', 'm@2', canary)
    const refusal = {
      code: 'CONFLICT',
      message:
        'm@2 answers deployment "d" (the canary of its rollout), and a rejected version answers none; take its traffic away first (`sluice rollback d` ends a rollout and rejects its candidates, or rejects the version a deployment serves and goes back to the one before)',
    }
    await expect(registry.setModelStatus('m@2', 'rejected', 'bad')).rejects.toMatchObject(refusal)
    await expect(registry.setModelStatus('m@1', 'rejected', 'bad')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/^m@1 answers deployment "d" \(its stable version\), and a rejected/),
    })
    // Before, the rejection went through and promoting the rollout made m@2 production and champion.
    await moveRunning(registry, 'd', (now) => ({ type: 'promote', now, by: 'test', full: true }))
    expect((await registry.getModelVersion('m@2')).status).toBe('production')
    await rollback(registry, 'd')
    expect((await registry.getModelVersion('m@2')).status).toBe('rejected')
  })

  it('refuses to reject a version holding an alias by hand: the alias would point at it', async () => {
    const registry = await home()
    await registry.setAlias('m', 'champion', 2)
    await expect(registry.setModelStatus('m@2', 'rejected', 'bad')).rejects.toThrow(
      /m@2 holds alias champion, and a rejected version holds none; move or remove the alias first/,
    )
    await registry.deleteAlias('m', 'champion')
    expect((await registry.setModelStatus('m@2', 'rejected', 'bad')).status).toBe('rejected')
  })
})
