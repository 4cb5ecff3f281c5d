import { existsSync } from 'node:fs'
import type { Command } from 'commander'
import { openLocal, resolveConfig } from '../context.js'
import { keyValues, makeOutput } from '../output.js'
import type { Runner } from '../run.js'

export function initCommand(program: Command, run: Runner) {
  program
    .command('init')
    .description('create the home folder (metadata store and artifact store); safe to run again')
    .option('--json', 'print an init document')
    .action(
      run(async (o) => {
        const out = makeOutput(Boolean(o.json))
        const config = resolveConfig(o)
        const created = !existsSync(config.store.path)
        const registry = await openLocal(config)
        await registry.close()
        const doc = {
          schema: 'sluice.init/v1',
          home: config.home,
          config: config.file,
          store: config.store,
          artifacts: config.artifacts,
          created,
        }
        out.result(doc, () =>
          [
            created ? `created sluice home ${config.home}` : `sluice home ${config.home} is ready`,
            keyValues([
              ['config', config.file ?? '(defaults; no sluice.yaml)'],
              ['store', `${config.store.backend} ${config.store.path}`],
              ['artifacts', `${config.artifacts.backend} ${config.artifacts.path}`],
            ]),
          ].join('\n'),
        )
      }),
    )
}
