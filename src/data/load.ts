import { open, stat } from 'node:fs/promises'
import path from 'node:path'
import { SluiceError } from '../core/errors.js'
import { checkRegular } from '../core/regular.js'
import { DATASET_FORMATS, type DatasetFormat } from '../core/types.js'
import { availableThreads, WorkerPool, workerScript } from '../core/workers.js'
import type { Frame } from './frame.js'

const EXTENSIONS: Record<string, DatasetFormat> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
  '.pq': 'parquet',
}

/** The format of a data file: from its extension, else from its first bytes (Parquet magic, `{`). */
export async function detectFormat(file: string): Promise<DatasetFormat> {
  const byExtension = EXTENSIONS[path.extname(file).toLowerCase()]
  if (byExtension) return byExtension
  const handle = await open(file, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64), 0, 64, 0)
    const head = buffer.subarray(0, bytesRead)
    if (head.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet'
    if (head.toString('utf8').trimStart().startsWith('{')) return 'jsonl'
    return 'csv'
  } finally {
    await handle.close()
  }
}

export interface LoadOptions {
  format?: DatasetFormat | undefined
}

/** Loads a CSV, TSV, JSONL or Parquet file into a frame. Every failure names the file and the problem. */
export async function loadFrame(
  file: string,
  options: LoadOptions = {},
): Promise<{ frame: Frame; format: DatasetFormat }> {
  const s = await checkRegular(file, 'file')
  if (s.size === 0) throw new SluiceError('UNREADABLE_FILE', `${file} is empty`)
  if (options.format && !DATASET_FORMATS.includes(options.format)) {
    throw new SluiceError(
      'UNSUPPORTED_FORMAT',
      `unknown format "${options.format}"; use one of ${DATASET_FORMATS.join(', ')}`,
    )
  }
  const format = options.format ?? (await detectFormat(file))
  // Readers load on demand: the Parquet stack (codecs included) is large and most commands never need it.
  const frame =
    format === 'parquet'
      ? await (await import('./parquet.js')).readParquet(file)
      : format === 'jsonl'
        ? await (await import('./jsonl.js')).readJsonl(file)
        : await (await import('./csv.js')).readCsv(file, {
            delimiter: path.extname(file).toLowerCase() === '.tsv' ? '\t' : ',',
          })
  if (frame.rows === 0) throw new SluiceError('UNREADABLE_FILE', `${file} has no data rows`)
  return { frame, format }
}

/** Files at least this large (together) are read in parallel worker threads. */
const PARALLEL_BYTES = 16 << 20

/**
 * Loads several files at once: each in its own worker thread when they are large enough to be
 * worth it (the frames' arrays move back without copying), otherwise one after the other.
 */
export async function loadFrames(
  files: string[],
  options: LoadOptions = {},
): Promise<{ frame: Frame; format: DatasetFormat }[]> {
  const sizes = await Promise.all(
    files.map((f) =>
      stat(f)
        .then((s) => s.size)
        .catch(() => 0),
    ),
  )
  if (files.length < 2 || sizes.reduce((a, b) => a + b, 0) < PARALLEL_BYTES || availableThreads() < 2) {
    const out = []
    for (const f of files) out.push(await loadFrame(f, options))
    return out
  }
  const pool = new WorkerPool(
    workerScript(import.meta.url, 'load-worker'),
    Math.min(files.length, availableThreads()),
  )
  try {
    return await Promise.all(
      files.map((file) => pool.run<{ frame: Frame; format: DatasetFormat }>({ file, options })),
    )
  } finally {
    await pool.close()
  }
}
