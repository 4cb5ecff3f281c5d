import { serveTasks } from '../core/workers.js'
import { type ColumnJob, computeColumnDrift } from './column.js'

/** Worker thread: tests one column at a time for drift. */
serveTasks<ColumnJob>(async (job) => ({ result: computeColumnDrift(job) }))
