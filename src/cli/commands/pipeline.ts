import type { Command } from 'commander'
import { SluiceError } from '../../core/errors.js'
import type { RunEvent } from '../../pipeline/runner.js'
import type { RunRecord, StageRecord, Store } from '../../store/types.js'
import { positiveInt } from '../args.js'
import { type GlobalOptions, openLocal, resolveConfig } from '../context.js'
import { type Interrupt, onInterrupt } from '../interrupt.js'
import { LiveView } from '../live.js'
import { keyValues, makeOutput, table } from '../output.js'
import type { Runner } from '../run.js'

/** `sluice run`, `sluice status`, `sluice runs list|show`. */
export function pipelineCommands(program: Command, run: Runner) {
  program
    .command('run')
    .description(
      'run the pipeline of sluice.yaml: stages whose inputs changed run, the others come from the cache',
    )
    .argument('[stages...]', 'stages to bring up to date, with everything upstream (default: all)')
    .option('--force', 'run the selected stages even when their results are cached')
    .option('-j, --jobs <n>', 'independent stages run at once (default 1)', '1')
    .option('--no-wait', 'exit (2) instead of waiting when another run of this project is in progress')
    .option('--json', 'print a sluice.run/v1 document')
    .action(
      run(async (o, cmd) => {
        const { loadPipeline } = await import('../../pipeline/spec.js')
        const { statePaths } = await import('../../pipeline/guard.js')
        const { runPipeline } = await import('../../pipeline/runner.js')
        const config = resolveConfig(o)
        const pipeline = loadPipeline(config.file ?? 'sluice.yaml', statePaths(config))
        const jobs = positiveInt(o.jobs as string, '--jobs')
        const registry = await openLocal(config)
        const view = new LiveView()
        const interrupt = onInterrupt((line) => view.line(line))
        let record: RunRecord | null
        try {
          record = await underRunLock(
            { home: config.home, store: registry.store, command: 'run', wait: o.wait !== false },
            { view, interrupt },
            (track) =>
              runPipeline({
                pipeline,
                targets: cmd.args,
                force: Boolean(o.force),
                jobs,
                store: registry.store,
                artifacts: registry.artifacts,
                sluice: sluiceCommand(config.home, config.file),
                signal: interrupt.signal,
                kill: interrupt.kill,
                onEvent: both(renderer(view, !o.json), track),
              }),
          )
        } finally {
          view.close()
          interrupt.dispose()
          await registry.close()
        }
        if (!record) {
          process.exitCode = 130
          return
        }
        const done = record
        makeOutput(Boolean(o.json)).result(runDoc(done), () => summary(done))
        if (done.status === 'interrupted') process.exitCode = 130
        else if (done.status === 'failed') process.exitCode = 1
      }),
    )

  program
    .command('status')
    .description('which stages the next run would run, and why (which dep, param or command changed)')
    .option('--json', 'print a sluice.status/v1 document')
    .action(
      run(async (o) => {
        const { loadPipeline } = await import('../../pipeline/spec.js')
        const { statePaths } = await import('../../pipeline/guard.js')
        const { pipelineStatus } = await import('../../pipeline/status.js')
        const config = resolveConfig(o)
        const pipeline = loadPipeline(config.file ?? 'sluice.yaml', statePaths(config))
        const { settleRunningRuns } = await import('../../pipeline/runs.js')
        const registry = await openLocal(config)
        const doc = await settleRunningRuns(registry.store.pipeline)
          .then(() => pipelineStatus(pipeline, registry.store))
          .finally(() => registry.close())
        makeOutput(Boolean(o.json)).result(doc, () =>
          doc.stages.length === 0
            ? 'the pipeline has no stages'
            : table(
                ['STAGE', 'STATE', 'WHY'],
                doc.stages.map((s) => [
                  s.name,
                  s.state,
                  [
                    ...s.reasons,
                    ...(s.missing_outs.length
                      ? [`restores ${s.missing_outs.join(', ')} from the cache`]
                      : []),
                  ].join('; '),
                ]),
              ),
        )
      }),
    )

  program
    .command('reproduce')
    .description(
      're-run the pipeline that produced a registered model, at its recorded inputs, and compare digests',
    )
    .argument('<model>', 'NAME@REF of a version registered by a pipeline (sluice/register)')
    .option('--keep', 'keep the scratch folder (its path is printed)')
    .option('--no-wait', 'exit (2) instead of waiting when a run of this project is in progress')
    .option('--json', 'print a sluice.reproduce/v1 document')
    .action(
      run(async (o, cmd) => {
        const { reproduce } = await import('../../pipeline/reproduce.js')
        const config = resolveConfig(o)
        const view = new LiveView()
        const interrupt = onInterrupt((line) => view.line(line))
        const registry = await openLocal(config)
        let found: Awaited<ReturnType<typeof reproduce>> | null
        try {
          found = await underRunLock(
            { home: config.home, store: registry.store, command: 'reproduce', wait: o.wait !== false },
            { view, interrupt },
            async (track) =>
              reproduce({
                version: await registry.getModelVersion(cmd.args[0]!),
                store: registry.store,
                artifacts: registry.artifacts,
                sluice: (home, file) => sluiceCommand(home, file),
                keep: Boolean(o.keep),
                signal: interrupt.signal,
                kill: interrupt.kill,
                // The re-run is recorded in the scratch home, not here: the lock names its stages only.
                onEvent: both(renderer(view, !o.json), (e) => e.type !== 'start' && track(e)),
              }),
          )
        } finally {
          view.close()
          interrupt.dispose()
          await registry.close()
        }
        if (!found) {
          process.exitCode = 130
          return
        }
        const doc = found
        makeOutput(Boolean(o.json)).result(doc, () =>
          [
            table(
              ['STAGE', 'OUT', 'RECORDED', 'REPRODUCED', ''],
              doc.outs.map((x) => [
                x.stage,
                x.path,
                x.recorded?.slice(7, 19) ?? '-',
                x.reproduced?.slice(7, 19) ?? '-',
                x.matches ? 'same' : 'DIFFERENT',
              ]),
            ),
            doc.status === 'interrupted'
              ? 'interrupted: nothing was compared'
              : doc.matches
                ? `reproduced ${doc.model.name}@${doc.model.version}: ${doc.model.path} is byte-identical (${doc.model.digest})`
                : `NOT reproduced: ${doc.model.path} has ${doc.reproduced_digest ?? 'no file'}, the registered artifact ${doc.model.digest}`,
            ...(doc.folder ? [`scratch folder kept at ${doc.folder}`] : []),
          ].join('\n'),
        )
        if (doc.status === 'interrupted') process.exitCode = 130
        else if (!doc.matches) process.exitCode = 1
      }),
    )

  const runs = program.command('runs').description('recorded pipeline runs')
  runs
    .command('list')
    .description('runs, newest first')
    .option('--limit <n>', 'at most this many (default 20)', '20')
    .option('--json', 'print a sluice.run-list/v1 document')
    .action(
      run(async (o) => {
        const limit = positiveInt(o.limit as string, '--limit')
        const { settleRuns } = await import('../../pipeline/runs.js')
        const items = await withStore(o, async (r) =>
          settleRuns(r.store.pipeline, await r.store.pipeline.listRuns(limit)),
        )
        makeOutput(Boolean(o.json)).result({ schema: 'sluice.run-list/v1', items: items.map(runDoc) }, () =>
          items.length === 0
            ? 'no runs yet; start one with `sluice run`'
            : table(
                ['ID', 'STATUS', 'STARTED', 'SECONDS', 'STAGES', 'COMMIT'],
                items.map((r) => [
                  r.id,
                  r.status,
                  r.started_at,
                  seconds(r),
                  counts(r.stages),
                  r.code ? `${r.code.commit.slice(0, 10)}${r.code.dirty ? '+dirty' : ''}` : '-',
                ]),
              ),
        )
      }),
    )
  runs
    .command('show')
    .description('one run: its stages, hashes, metrics, environment; --log prints a stage’s output')
    .argument('<id>', 'run id')
    .option('--log <stage>', 'print what this stage printed')
    .option('--json', 'print the sluice.run/v1 document with every stage record')
    .action(
      run(async (o, cmd) => {
        const id = cmd.args[0]!
        await withStore(o, async (r) => {
          const { settleRuns } = await import('../../pipeline/runs.js')
          const found = await r.store.pipeline.getRun(id)
          if (!found)
            throw new SluiceError('NOT_FOUND', `run ${id} not found; list runs with \`sluice runs list\``)
          const [rec] = (await settleRuns(r.store.pipeline, [found])) as [RunRecord]
          if (o.log) {
            const stage = rec.stages.find((s) => s.name === o.log)
            if (!stage) throw new SluiceError('NOT_FOUND', `run ${id} has no stage "${o.log}"`)
            if (!stage.log) throw new SluiceError('NOT_FOUND', `stage "${o.log}" of run ${id} left no log`)
            for await (const chunk of await r.artifacts.open(stage.log)) process.stdout.write(chunk as Buffer)
            return
          }
          makeOutput(Boolean(o.json)).result({ ...runDoc(rec), record: rec }, () => details(rec))
        })
      }),
    )
}

/**
 * Runs `fn` holding the home's run lock: it waits for a run in progress (or, without `wait`, fails
 * naming it), takes over from a run whose process died — whose stages are then killed — and marks
 * every dead run crashed before `fn` starts. `fn`'s `track` keeps the lock's record of the run and
 * its stage processes current. Null when Ctrl-C stopped the wait.
 */
async function underRunLock<T>(
  o: { home: string; store: Store; command: string; wait: boolean },
  ui: { view: LiveView; interrupt: Interrupt },
  fn: (track: (e: RunEvent) => void) => Promise<T>,
): Promise<T | null> {
  const { acquireRunLock, describeHolder } = await import('../../pipeline/lock.js')
  const { settleRunningRuns } = await import('../../pipeline/runs.js')
  const lock = await acquireRunLock(o.home, {
    command: o.command,
    wait: o.wait,
    insideRun: process.env.SLUICE_RUN_ID,
    signal: ui.interrupt.signal,
    onWait: (h) =>
      ui.view.line(
        `waiting for ${h ? describeHolder(h) : 'another run of this project'} to finish (Ctrl-C to stop waiting)`,
      ),
  })
  if (!lock) return null
  try {
    if (lock.crashed)
      ui.view.line(`${describeHolder(lock.crashed)} died without finishing; its stages were stopped`)
    await settleRunningRuns(o.store.pipeline)
    return await fn((e) => {
      if (e.type === 'start') lock.setRun(e.run.id)
      else if (e.type === 'spawn') lock.stageStarted(e.stage, e.pid)
      else if (e.type === 'stage-end') lock.stageEnded(e.stage.name)
    })
  } finally {
    lock.release()
  }
}

const both =
  <E>(...handlers: ((e: E) => void)[]) =>
  (e: E) => {
    for (const h of handlers) h(e)
  }

/** How a stage runs sluice itself: this node, this CLI, and the same home and config. */
export function sluiceCommand(home: string, configFile: string | null): string[] {
  return [process.execPath, process.argv[1]!, '--home', home, ...(configFile ? ['--config', configFile] : [])]
}

async function withStore<T>(o: GlobalOptions, fn: (r: Awaited<ReturnType<typeof openLocal>>) => Promise<T>) {
  const registry = await openLocal(resolveConfig(o))
  try {
    return await fn(registry)
  } finally {
    await registry.close()
  }
}

/** The `sluice.run/v1` document: the summary `--json` prints. */
export function runDoc(r: RunRecord) {
  return {
    schema: 'sluice.run/v1',
    id: r.id,
    status: r.status,
    started_at: r.started_at,
    finished_at: r.finished_at,
    error: r.error,
    code: r.code,
    stages: r.stages.map((s) => ({
      name: s.name,
      status: s.status === 'pending' || s.status === 'running' ? 'skipped' : s.status,
      duration_s: s.duration_s ?? 0,
      key: s.key,
      ...(s.error && { error: s.error }),
      ...(Object.keys(s.metrics).length > 0 && { metrics: s.metrics }),
    })),
  }
}

const MARK: Record<string, string> = { ran: '✓', cached: '=', failed: '✗', skipped: '-' }

function renderer(view: LiveView, progress: boolean): (e: RunEvent) => void {
  const running = new Set<string>()
  let done = 0
  let total = 0
  const footer = () =>
    view.status(`${done}/${total} stages done${running.size ? ` · running ${[...running].join(', ')}` : ''}`)
  return (e) => {
    switch (e.type) {
      case 'start':
        total = e.run.stages.length
        if (progress) view.line(`run ${e.run.id}: ${total} stage${total === 1 ? '' : 's'}`)
        break
      case 'stage-start':
        running.add(e.stage)
        break
      case 'output':
        view.line(`${e.stage} │ ${e.line}`)
        break
      case 'stage-end': {
        running.delete(e.stage.name)
        done++
        if (!progress) break
        const s = e.stage
        const took =
          s.duration_s !== null && s.status !== 'skipped' && s.status !== 'cached'
            ? ` in ${s.duration_s.toFixed(1)} s`
            : ''
        const extra =
          s.status === 'cached'
            ? e.restored.length
              ? ` (restored ${e.restored.join(', ')})`
              : ''
            : s.error
              ? `: ${s.error}`
              : ''
        view.line(`${MARK[s.status] ?? '?'} ${s.name} ${s.status}${took}${extra}`)
        break
      }
      case 'end':
        running.clear()
        return
    }
    if (progress) footer()
  }
}

function summary(r: RunRecord): string {
  const head = `run ${r.id} ${r.status} in ${seconds(r)} s (${counts(r.stages)})`
  return r.error ? `${head}\n${r.error}` : head
}

function details(r: RunRecord): string {
  const head = keyValues([
    ['run', r.id],
    ['status', r.status],
    ['started', r.started_at],
    ['seconds', seconds(r)],
    ['commit', r.code ? `${r.code.commit}${r.code.dirty ? ' (dirty)' : ''}` : '-'],
    ['node', r.environment.node],
    ...(r.environment.python !== undefined
      ? [['python', String(r.environment.python)] as [string, string]]
      : []),
    ['os', `${r.environment.os} ${r.environment.arch}`],
    ...(r.error ? [['error', r.error] as [string, string]] : []),
  ])
  const stages = table(
    ['STAGE', 'STATUS', 'SECONDS', 'KEY', 'NOTE'],
    r.stages.map((s) => [
      s.name,
      s.status,
      s.duration_s === null ? '-' : s.duration_s.toFixed(2),
      s.key ? s.key.slice(7, 19) : '-',
      s.error ?? '',
    ]),
  )
  return `${head}\n\n${stages}`
}

const seconds = (r: RunRecord) =>
  r.finished_at ? ((Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000).toFixed(1) : '-'

function counts(stages: StageRecord[]): string {
  const n = (st: string) => stages.filter((s) => s.status === st).length
  return ['ran', 'cached', 'failed', 'skipped']
    .filter((st) => n(st) > 0)
    .map((st) => `${n(st)} ${st}`)
    .join(', ')
}
