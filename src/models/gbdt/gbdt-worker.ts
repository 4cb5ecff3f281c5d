import { parentPort } from 'node:worker_threads'
import { type SharedTrainingState, serveRowWork } from './parallel.js'

/** Helper thread of gradient boosting: takes the second half of large histograms and of the gradients. */
parentPort!.once('message', (init: SharedTrainingState & { ctrl: Int32Array; hist: Float64Array }) =>
  serveRowWork(init),
)
