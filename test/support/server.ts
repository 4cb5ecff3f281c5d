import { type ChildProcess, spawn } from 'node:child_process'
import { BIN } from './cli.js'

export interface ServerProcess {
  child: ChildProcess
  url: string
  /** Its log on stderr so far (one JSON line per entry). */
  log(): string
  stop(): Promise<void>
}

/** Starts `sluice serve|server` on a free port in `cwd` and resolves once it listens. */
export async function spawnServer(
  command: 'serve' | 'server',
  cwd: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, command, '--port', '0', '--json', ...args], {
    cwd,
    env: { ...process.env, ...env },
  })
  let stderr = ''
  child.stderr!.on('data', (b: Buffer) => (stderr += b))
  const url = await new Promise<string>((resolve, reject) => {
    let first = true
    // Keep reading: a full pipe would block the server's writes.
    child.stdout!.on('data', (b: Buffer) => {
      if (first) resolve(JSON.parse(b.toString().split('\n')[0]!).url)
      first = false
    })
    child.once('exit', (code) => reject(new Error(`${command} exited ${code}: ${stderr}`)))
  })
  return {
    child,
    url,
    log: () => stderr,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}
