// Streams `megabytes` of pseudo-random bytes into the artifact store of HOME, slowly enough to be
// killed in the middle (for the crash test). Usage: node put-worker.mjs HOME MEGABYTES

import path from 'node:path'
import { FsArtifactStore } from '../../dist/index.js'

const [home, megabytes] = process.argv.slice(2)
const store = new FsArtifactStore(path.join(home, '.sluice', 'artifacts'))
async function* bytes() {
  const chunk = Buffer.alloc(1 << 20)
  for (let i = 0; i < Number(megabytes); i++) {
    chunk.fill(i % 251)
    chunk.writeUInt32LE(i, 0)
    yield Buffer.from(chunk)
  }
}
await store.put(bytes())
process.stdout.write('done\n')
