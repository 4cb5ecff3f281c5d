// Registers `count` versions of one model from its own process (for the concurrency test).
// Usage: node register-worker.mjs HOME MODEL COUNT ARTIFACT
import { LocalRegistry, loadConfig } from '../../dist/index.js'

const [home, name, count, artifactFile] = process.argv.slice(2)
const registry = await LocalRegistry.open(loadConfig({ cwd: home, home, env: {} }))
const artifact = await registry.storeArtifact(artifactFile)
const versions = []
for (let i = 0; i < Number(count); i++) {
  const v = await registry.registerModelVersion({
    name,
    artifact,
    flavor: 'onnx',
    tags: { worker: String(process.pid) },
  })
  versions.push(v.version)
}
await registry.close()
process.stdout.write(JSON.stringify(versions))
