import { serveTasks } from '../core/workers.js'
import { OnnxModel, type PredictTask } from './runtime.js'

// Worker thread: runs batches of rows (or ready tensors) through its own single-threaded onnxruntime session,
// loaded on the first task and reused while the tasks carry the same model.
let loaded: { key: string; model: OnnxModel } | null = null

serveTasks<PredictTask>(
  async (task) => {
    if (loaded?.key !== task.key) {
      await loaded?.model.close()
      loaded = { key: task.key, model: await OnnxModel.load(task.model, 'the model', { threads: 1 }) }
    }
    return {
      result:
        'feeds' in task
          ? await loaded.model.runTensors(task.feeds)
          : await loaded.model.runRows(task.bindings, task.start, task.end),
    }
  },
  async () => {
    await loaded?.model.close()
    loaded = null
  },
)
