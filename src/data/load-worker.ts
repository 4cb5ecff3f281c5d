import { serveTasks } from '../core/workers.js'
import { type LoadOptions, loadFrame } from './load.js'

/** Worker thread: loads one data file; the frame's shared arrays reach the caller without a copy. */
serveTasks<{ file: string; options: LoadOptions }>(async ({ file, options }) => ({
  result: await loadFrame(file, options),
}))
