import { readFileSync } from 'node:fs'

/** sluice's own version, from package.json (two folders up from both src/core and dist/core). */
export const SLUICE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version
