import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'
import { SluiceError } from '../core/errors.js'
import { type Digest, digestOf } from '../core/hash.js'

/** Passes bytes through, holding the last chunk back until the whole stream hashed to `digest`. */
export function verifying(digest: Digest): Transform {
  const hash = createHash('sha256')
  let held: Buffer | null = null
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk)
      if (held) this.push(held)
      held = chunk
      done()
    },
    flush(done) {
      const actual = digestOf(hash.digest('hex'))
      if (actual !== digest) {
        done(
          new SluiceError(
            'ARTIFACT_CORRUPT',
            `blob ${digest} is corrupt: its bytes hash to ${actual}; restore it from a backup or re-add the original file, then run \`sluice artifacts verify\``,
          ),
        )
        return
      }
      done(null, held ?? undefined)
    },
  })
}
