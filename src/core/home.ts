import path from 'node:path'

/** Folders of a home besides the store and the artifact store (docs/architecture.md, "The home"). */
export function homeFolders(home: string): { serving: string; spool: string } {
  return {
    /** The model server's copies of the model versions it loads, one per artifact digest. */
    serving: path.join(home, 'serving'),
    /** Request bodies the server spools to disk while it handles them (dataset uploads). */
    spool: path.join(home, 'tmp'),
  }
}
