/**
 * coordinator: runs experiments against agents reached through an AgentLink. The CLI and the
 * long-running service import only this entry.
 */
export { runExperiment, checkRunnable, conditionContext } from "./runner/run-experiment.js";
export { fetchRunTimeResource, fetchRunTimeText, resolveRunTimeFetches, RunTimeFetchError, DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_FETCH_MAX_BYTES } from "./fetch/index.js";
export type { RunTimeFetchOptions, FetchSettings } from "./fetch/index.js";
export type { RunEvent, RunExperimentOptions } from "./runner/run-experiment.js";
export { SINGLE_RUN, intervalPlan } from "./runner/loops.js";
export type { LoopEvent, LoopPlan } from "./runner/loops.js";
export { cronPlan, loopPlanOf, nextCronMs } from "./runner/schedule.js";
export type { LoopSettings } from "./runner/schedule.js";
export { evaluateSlos, createAssessRunner } from "./tasks/assess.js";
export type { BayesianAssessor } from "./tasks/assess.js";
export type {
  TaskContext,
  TaskOutcome,
  TaskRunner,
  TaskRunners,
  TaskSpecs,
  TaskEvent,
  TaskEventType,
  LoadProgressData,
  SecretResolver,
  RunnerPolicy,
} from "./tasks/types.js";
export { defaultRunners, defaultBayesian, invokeRunner } from "./tasks/registry.js";
export { createHttpLoadRunner, createLoadRunner } from "./load/load-task.js";
export { planShards, httpSeriesSpec } from "./load/http-series.js";
export { selectAgents, planLoadShards } from "./load/plan.js";
export type { PlannedShard } from "./load/plan.js";
export type { LoadShape, SeriesSpec, PlannedSeries, SeriesTarget, ShardOptions, SeriesMetricOptions } from "./load/series.js";
export { RunMerger, SeriesAggregate } from "./load/merger.js";
export { splitInteger, splitRate, participants } from "./load/sharding.js";
export { computeSeriesMetrics, percentileSuffix } from "./load/builtin-metrics.js";
export { NatsAgentLink, connectNatsLink } from "./nats/link.js";
export type { NatsLinkOptions } from "./nats/link.js";
export { startCoordinatorService, parseListenAddress, isLoopback, DEFAULT_LISTEN } from "./service/server.js";
export type { CoordinatorService, CoordinatorServiceOptions, ServerTls } from "./service/server.js";
export { ExperimentManager } from "./service/manager.js";
export { loadConfigFile, defaultConfig, compileConfig, DEFAULT_ALLOWED_TARGETS } from "./service/config.js";
export type { LoadSnapshotData, VersionSnapshot } from "./load/snapshot.js";
export type { CoordinatorConfig, Limits, TlsFiles, SecretSourceConfig } from "./service/config.js";
export { compileAllowList, checkExperimentSafety, checkExperimentTargets } from "./service/safety.js";
export { createServicePolicy } from "./service/service-policy.js";
export type { ServicePolicy, ServiceConfig } from "./service/service-policy.js";
export { checkSecretReferences, createServiceSecretResolver, declaredSource } from "./service/secret-sources.js";
export type { AllowList } from "./service/safety.js";
export { Role, METHOD_ROLES, loadTokensFile, parseTokens, tokenAuthenticator, openAuthenticator } from "./service/auth.js";
export type { Authenticator, Caller, MethodName, TokenEntry } from "./service/auth.js";
export { openFileStore, kvStore } from "./service/store.js";
export type { ExperimentStore, ExperimentRecord } from "./service/store.js";
export { EventChannel, Watcher } from "./service/events.js";
export type { WatchSink, EventBody } from "./service/events.js";
export { loadCoordinatorService, COORDINATOR_SERVICE_NAME, SERVICE_LOADER_OPTIONS } from "./service/definition.js";
export { grpcStatusOf, toStatusObject, fromServiceError } from "./service/status.js";
export { natsRunStateStore, checkStateId } from "./nats/state.js";
export type { ExperimentState } from "./nats/state.js";
export { remainderShards } from "./load/redistribution.js";
export type { RunStateStore, StoredRun, LoadRunnerOptions } from "./load/options.js";
export { assess, assessResult, analyzeDocument, renderAssessmentText, benchAssessment } from "./assessment/index.js";
export type { Assessment, AssessmentInput } from "./assessment/index.js";
export { actionRunnerTable, createActionRunners, createSecretResolver, iter8ResultText } from "./actions/index.js";
export type { ActionRunners, ActionOptions, SecretResolverOptions } from "./actions/index.js";
export { customMetricsRunner } from "./metrics-backends/index.js";
export type { ManagerTelemetry } from "./service/manager.js";
export {
  startDashboardServer,
  DEFAULT_UI_LISTEN,
  managerSource,
  LocalRunFeed,
  experimentView,
  staticPageHtml,
  staticReportHtml,
  SessionStore,
  sseFrame,
} from "./service/dashboard/index.js";
export type { DashboardServer, DashboardServerOptions, DashboardSource, LocalRunFeedOptions } from "./service/dashboard/index.js";
export { withAssessmentEvent, metricsMessage } from "./service/feed.js";
export type { LoadTelemetry } from "./load/options.js";
