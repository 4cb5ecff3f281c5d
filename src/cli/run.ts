import type { Command } from 'commander'
import { isSluiceError } from '../core/errors.js'
import type { GlobalOptions } from './context.js'
import { reportError } from './output.js'

/** A command's action; `O` describes the options it declares (untyped ones read as unknown). */
export type Action<O> = (opts: GlobalOptions & O, cmd: Command) => Promise<void>
export type Runner = <O = Record<string, unknown>>(fn: Action<O>) => (...args: unknown[]) => Promise<void>

/**
 * Wraps a command's action: hands it the options (its own and the global ones) and turns any
 * error into a message and exit code 2. Exit code 1 is set by the actions themselves, when a
 * check the user asked for failed.
 */
export const runAction: Runner =
  (fn) =>
  async (...args) => {
    const cmd = args[args.length - 1] as Command
    const opts = cmd.optsWithGlobals()
    try {
      await fn(opts as never, cmd)
    } catch (e) {
      process.exitCode = reportError(e, Boolean(opts.json))
      if (!isSluiceError(e) && process.env.SLUICE_DEBUG) throw e
    }
  }
