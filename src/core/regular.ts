import { type Stats, statSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { SluiceError } from './errors.js'

/**
 * Only regular files (and, where a folder is meant, folders) are read as models, artifacts or
 * data: a device would be read forever (`/dev/zero`), a FIFO or a socket would block. Symbolic
 * links are followed: a link to a regular file is that file.
 */

export type PathKind = 'file' | 'file-or-folder'

/** Checks `p` is a regular file (or folder, for `file-or-folder`); returns what it is. */
export async function checkRegular(p: string, kind: PathKind): Promise<Stats> {
  return checked(p, kind, await stat(p).catch((e: NodeJS.ErrnoException) => e))
}

/** `checkRegular`, for callers that read synchronously. */
export function checkRegularSync(p: string, kind: PathKind): Stats {
  let s: Stats | NodeJS.ErrnoException
  try {
    s = statSync(p)
  } catch (e) {
    s = e as NodeJS.ErrnoException
  }
  return checked(p, kind, s)
}

function checked(p: string, kind: PathKind, s: Stats | NodeJS.ErrnoException): Stats {
  const wanted = kind === 'file' ? 'a regular file' : 'a regular file or folder'
  if (s instanceof Error) {
    throw new SluiceError(
      'UNREADABLE_FILE',
      s.code === 'ENOENT' || s.code === 'ENOTDIR'
        ? `${p} does not exist; check the path`
        : `${p} cannot be read (${s.code ?? s.message}); check the path and its permissions`,
    )
  }
  if (s.isFile() || (kind === 'file-or-folder' && s.isDirectory())) return s
  throw new SluiceError(
    'UNREADABLE_FILE',
    `${p} is not ${wanted} (it is ${describe(s)}); give the path of ${wanted}`,
  )
}

function describe(s: Stats): string {
  if (s.isDirectory()) return 'a folder'
  if (s.isCharacterDevice()) return 'a character device'
  if (s.isBlockDevice()) return 'a block device'
  if (s.isFIFO()) return 'a pipe'
  if (s.isSocket()) return 'a socket'
  return 'not a regular file'
}
