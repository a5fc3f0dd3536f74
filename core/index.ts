/**
 * core: what more than one component needs. Agent and coordinator import only this entry.
 */
export {
  AssayError,
  ValidationError,
  ConfigurationError,
  TransportError,
  TargetError,
  InternalError,
  CancelledError,
  ErrorKind,
  ErrorCode,
  isAssayError,
  isErrorCode,
  toAssayError,
  errorOfKind,
} from "./errors.js";
export type { SourceLocation, AssayErrorOptions } from "./errors.js";
export { parseDurationMs, formatDurationMs } from "./duration.js";
export {
  createHistogram,
  recordMicros,
  encodeHistogram,
  decodeHistogram,
  addEncoded,
  histogramToBase64,
  histogramFromBase64,
  percentileMs,
  countAtOrBelow,
  logBuckets,
  HISTOGRAM_MAX_US,
} from "./histogram.js";
export type { Histogram, LatencyBucketCount } from "./histogram.js";
export { pb, decodeMessage } from "./proto/index.js";
export type * from "./proto/index.js";
export * as api from "./proto/service.js";
export type { AgentInfo, AgentEvent, AgentEventHandler, AgentLink, CoordinatorPort, ControlHandler } from "./link.js";
export * from "./subjects.js";
export { closeNatsConnection } from "./nats-close.js";
export { retry, backoffMs } from "./retry.js";
export { withDeadline } from "./deadline.js";
export type { RetryOptions } from "./retry.js";
export type { CloseNatsOptions } from "./nats-close.js";
export { createLogger, silentLogger, REDACTED_PATHS, LogFormat, LOG_FORMATS } from "./logger.js";
export { VERSION } from "./version.js";
export type { Logger, LoggerOptions } from "./logger.js";
export * from "./experiment/model.js";
export * from "./experiment/index.js";
export {
  compileTemplate,
  compileTemplateSet,
  renderTemplate,
  checkTemplate,
  isTemplate,
  resolveTemplateLimits,
  TEMPLATE_SOURCE,
  TEMPLATE_FUNCTIONS,
  TEMPLATE_FUNCTION_NAMES,
  DEFAULT_TEMPLATE_LIMITS,
  TemplateBudgetError,
  TemplateLimit,
  TemplateStruct,
  GoTime,
  goTime,
  goTimeText,
  rfc3339,
} from "./template/index.js";
export type { CompiledTemplate, CompileOptions, RenderOptions, TemplateSet, TemplateLimits, TemplateSource, TemplateStats, TemplateStructOptions } from "./template/index.js";
export * from "./chart/index.js";
export * from "./result.js";
export { DASHBOARD_SESSION_COOKIE, DASHBOARD_CSRF_HEADER } from "./dashboard.js";
export type { DashboardSession, DashboardExperiment, DashboardExperimentList, DashboardAgents, DashboardStaticData } from "./dashboard.js";
export {
  compileAllowList,
  createEgressGuard,
  findTargetNotAllowed,
  isProtectedAddress,
  TargetNotAllowedError,
  PROTECTED_RANGES,
} from "./egress/index.js";
export type { AllowList, EgressGuard, ResolveAll } from "./egress/index.js";
