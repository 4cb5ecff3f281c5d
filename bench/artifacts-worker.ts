// One side of bench/artifacts.ts, in its own process: `put STORE FILE` or `get STORE FILE OUT`.
// Prints {"seconds", "maxRssMb"} as its last line.
import { createReadStream } from 'node:fs'
import { FsArtifactStore } from '../src/artifacts/fs/store.js'
import { getToPath } from '../src/artifacts/transfer.js'
import { sha256File } from '../src/core/hash.js'

const [op, root, file, out] = process.argv.slice(2)
const store = new FsArtifactStore(root!)
let seconds: number
if (op === 'put') {
  const t0 = performance.now()
  await store.put(createReadStream(file!, { highWaterMark: 1 << 20 }))
  seconds = (performance.now() - t0) / 1000
} else {
  const { digest } = await sha256File(file!) // not timed: the digest is what a user would already hold
  const t0 = performance.now()
  await getToPath(store, { digest, kind: 'file' }, out!)
  seconds = (performance.now() - t0) / 1000
}
console.log(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }))
