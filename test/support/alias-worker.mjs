// Moves an alias back and forth, or reads it, many times (for the alias atomicity test).
// Usage: node alias-worker.mjs HOME MODEL move|read COUNT
import { LocalRegistry, loadConfig } from '../../dist/index.js'

const [home, name, mode, count] = process.argv.slice(2)
const registry = await LocalRegistry.open(loadConfig({ cwd: home, home, env: {} }))
const seen = new Set()
for (let i = 0; i < Number(count); i++) {
  if (mode === 'move') await registry.setAlias(name, 'champion', (i % 2) + 1)
  else seen.add((await registry.getModelVersion(`${name}@champion`)).version)
}
await registry.close()
process.stdout.write(JSON.stringify([...seen]))
