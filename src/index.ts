/**
 * sluice as a library. The CLI and the server are built from these same pieces.
 *
 * ```ts
 * import { LocalRegistry, loadConfig } from 'sluice'
 * const registry = await LocalRegistry.open(loadConfig({ cwd: process.cwd() }))
 * const champion = await registry.getModelVersion('churn@champion')
 * ```
 */

export { type AppOptions, createApp, type ServerModule } from './api/app.js'
export { HttpRegistry } from './api/client.js'
export { listen, type RunningServer } from './api/server.js'
export { FsArtifactStore } from './artifacts/fs/store.js'
export { openArtifactStore } from './artifacts/open.js'
export { getToPath, localSink, putPath } from './artifacts/transfer.js'
export type { ArtifactStore, BlobInfo, GcReport, VerifyReport } from './artifacts/types.js'
export { loadConfig, type ResolvedConfig } from './core/config.js'
export { codeRevision, environmentFingerprint } from './core/environment.js'
export { type ErrorCode, SluiceError } from './core/errors.js'
export type { Digest } from './core/hash.js'
export type * from './core/types.js'
export { type CellValue, frameFromColumns, frameFromRecords } from './data/build.js'
export type { Column, Frame } from './data/frame.js'
export { inferColumnType, inferSchema } from './data/infer.js'
export { loadFrame, loadFrames } from './data/load.js'
export { type ColumnMapping, mapColumns, readMappingFile } from './data/mapping.js'
export { sliceWindow, takeRows } from './data/select.js'
export { writeFrame } from './data/write.js'
export { type DetectDriftResult, detectDrift } from './drift/detect.js'
export { renderDriftHtml } from './drift/html.js'
export type { DataInput } from './drift/input.js'
export { driftReport } from './drift/report.js'
export { STAT_TEST_NAMES, statTestsFor } from './drift/stattests.js'
export type { ColumnDrift, DriftOptions, DriftReport } from './drift/types.js'
export { inspectModel } from './models/inspect.js'
export { renderModelCard } from './registry/card.js'
export { LocalRegistry } from './registry/local.js'
export { parseDatasetRef, parseModelRef } from './registry/refs.js'
export type * from './registry/types.js'
export { parseWhere } from './registry/where.js'
export { openStore } from './store/open.js'
export type { Store } from './store/types.js'
