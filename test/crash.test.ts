import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { json, ROOT, sluice, tempDir } from './support/cli.js'

describe('a writer killed in the middle of a large artifact', () => {
  it('leaves no visible partial blob; verify passes and gc removes the leftover', async () => {
    const home = tempDir()
    expect((await sluice(['init'], { cwd: home })).code).toBe(0)
    const tmp = path.join(home, '.sluice', 'artifacts', 'tmp')
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'test', 'support', 'put-worker.mjs'), home, '4096'],
      { stdio: 'ignore' },
    )
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    )

    // Wait until the writer is well into the file, then kill it without warning.
    let partial = 0
    for (let i = 0; i < 600 && partial < 64 << 20; i++) {
      await sleep(50)
      const parts = existsSync(tmp) ? readdirSync(tmp) : []
      partial = parts.length ? statSync(path.join(tmp, parts[0]!)).size : 0
    }
    expect(partial).toBeGreaterThanOrEqual(64 << 20)
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')

    const blobs = path.join(home, '.sluice', 'artifacts', 'sha256')
    expect(existsSync(blobs) ? readdirSync(blobs) : []).toEqual([])
    expect(readdirSync(tmp)).toHaveLength(1)

    const verify = await sluice(['artifacts', 'verify', '--json'], { cwd: home })
    expect(verify.code).toBe(0)
    expect(json(verify)).toMatchObject({ ok: true, checked: 0, corrupt: [], missing: [], temp_files: 1 })

    const gc = json<{ temp_files: { reason: string }[] }>(
      await sluice(['artifacts', 'gc', '--yes', '--json'], { cwd: home }),
    )
    expect(gc.temp_files).toHaveLength(1)
    expect(gc.temp_files[0]!.reason).toMatch(/its writer \(pid \d+\) is gone/)
    expect(readdirSync(tmp)).toEqual([])
  })
})
