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
export { type PredictionRecord, PredictionStream } from './core/prediction.js'
export type * from './core/types.js'
export { type CellValue, frameFromColumns, frameFromRecords } from './data/build.js'
export { type Column, cell, type Frame } from './data/frame.js'
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
export {
  type BootstrapOptions,
  type MetricDraws,
  pairedBootstrap,
  percentileInterval,
} from './gates/bootstrap.js'
export { DEFAULT_RESAMPLES, DEFAULT_SEED, evaluateGates, type GateOptions } from './gates/evaluate.js'
export { type PairedPredictions, pairPredictions } from './gates/paired.js'
export { renderGateJunit, renderGateMarkdown } from './gates/report.js'
export {
  type GateRules,
  gateRulesSchema,
  type MetricRule,
  parseGateRules,
  type SliceRule,
} from './gates/rules.js'
export type { Condition, GateResult, GateRuleResult } from './gates/types.js'
export {
  type ClassificationMetrics,
  classificationMetrics,
} from './metrics/classification.js'
export { type MetricValue, parseEvaluationDoc } from './metrics/evaluation.js'
export { type RegressionMetrics, regressionMetrics } from './metrics/regression.js'
export { weightedClassificationScorer, weightedRegressionScorer } from './metrics/weighted.js'
export { type EvaluateOptions, type EvaluationDoc, evaluateModel } from './models/evaluate.js'
export { inspectModel } from './models/inspect.js'
export { predictFrameToFrame } from './models/predict.js'
export { OnnxModel, type Output, type PredictOptions } from './models/runtime.js'
export { type TrainOptions, type TrainResult, train } from './models/train.js'
export { type ReproduceDoc, reproduce } from './pipeline/reproduce.js'
export { type RunEvent, type RunOptions, runPipeline } from './pipeline/runner.js'
export { loadPipeline, type Pipeline, type Stage } from './pipeline/spec.js'
export { pipelineStatus, type StatusDoc } from './pipeline/status.js'
export { renderModelCard } from './registry/card.js'
export { LocalRegistry } from './registry/local.js'
export { parseDatasetRef, parseModelRef } from './registry/refs.js'
export type * from './registry/types.js'
export { parseWhere } from './registry/where.js'
export { type Measurement, measureRule, type QualitySource } from './rollout/analysis.js'
export { type ControllerOptions, RolloutController } from './rollout/controller.js'
export { argoRolloutsManifest, type ExportInput, kserveManifest } from './rollout/export.js'
export {
  type Decision,
  type RolloutEvent,
  type RolloutState,
  routingFor,
  startRollout,
  transition,
} from './rollout/machine.js'
export { buildPlan, type Plan, type PlanInput } from './rollout/plan.js'
export { beginRollout, moveRunning, type RolloutDoc, rollback, rolloutStatus } from './rollout/service.js'
export type { RolloutSpec, Rule, Step, Strategy } from './rollout/spec.js'
export { deploy, deployFile } from './serving/deploy.js'
export { ProtocolError } from './serving/protocol/errors.js'
export { instancesResponse, parseInstances } from './serving/protocol/instances.js'
export { parseInferRequest } from './serving/protocol/request.js'
export { buildInferResponse } from './serving/protocol/response.js'
export { type Serving, type ServingOptions, startServing } from './serving/server.js'
export { type ArmSummary, bernoulliArm, mergeArms, msprt, summarize } from './stats/msprt.js'
export { openStore } from './store/open.js'
export type { Store } from './store/types.js'
export { type CheckOptions, checkContract } from './validate/checks.js'
export {
  CONTRACT_TYPES,
  type Contract,
  type ContractType,
  contractSchema,
  parseContract,
  readContract,
} from './validate/contract.js'
export { computeDrift, type DriftOutcome } from './validate/drift.js'
export { describeCheck } from './validate/format.js'
export type { RegistryAccess } from './validate/reference.js'
export type { CheckName, CheckResult, DataSource, ValidationDoc } from './validate/types.js'
export { type ValidateDataOptions, validateData, validateFrame } from './validate/validate.js'
