import { Command, CommanderError } from 'commander'
import { SLUICE_VERSION } from '../core/version.js'
import { artifactsCommand } from './commands/artifacts.js'
import { ciCommand } from './commands/ci.js'
import { dataCommand } from './commands/data.js'
import { driftCommand } from './commands/drift.js'
import { exportCommand } from './commands/export.js'
import { gateCommand } from './commands/gate.js'
import { initCommand } from './commands/init.js'
import { modelWorkCommands } from './commands/model-work.js'
import { modelsCommand } from './commands/models.js'
import { pipelineCommands } from './commands/pipeline.js'
import { registerCommand } from './commands/register.js'
import { rolloutCommands } from './commands/rollout.js'
import { serverCommand } from './commands/server.js'
import { servingCommands } from './commands/serving.js'
import { tokensCommand } from './commands/tokens.js'
import { validateCommand } from './commands/validate.js'
import { runAction } from './run.js'

/** Builds the command tree. Each command parses, calls a module, and prints. */
export function buildProgram(): Command {
  const program = new Command('sluice')
    .description('CI/CD, monitoring and automated retraining for machine-learning models')
    .version(SLUICE_VERSION)
    .option('--home <dir>', 'home folder holding all state (default ./.sluice, or SLUICE_HOME)')
    .option('--config <file>', 'configuration file (default ./sluice.yaml)')
    .option('--server <url>', 'talk to a running sluice server instead of the home (or SLUICE_SERVER)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
  initCommand(program, runAction)
  modelsCommand(program, runAction)
  dataCommand(program, runAction)
  modelWorkCommands(program, runAction)
  driftCommand(program, runAction)
  gateCommand(program, runAction)
  validateCommand(program, runAction)
  artifactsCommand(program, runAction)
  serverCommand(program, runAction)
  pipelineCommands(program, runAction)
  registerCommand(program, runAction)
  ciCommand(program, runAction)
  servingCommands(program, runAction)
  rolloutCommands(program, runAction)
  exportCommand(program, runAction)
  tokensCommand(program, runAction)
  // Sub-commands inherit exit handling so usage errors anywhere exit with 2.
  for (const cmd of program.commands) {
    cmd.exitOverride()
    for (const sub of cmd.commands) sub.exitOverride()
  }
  return program
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; unknown commands, unknown options and missing arguments exit 2.
      return e.exitCode === 0 ? 0 : 2
    }
    throw e
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0
}
