/**
 * agent: load engines, the shard runtime, and the worker-thread host for local runs. Other folders
 * import only this entry. The only contract with the coordinator is the agent link (core/link.ts)
 * and the protobuf messages it carries.
 */
export { startLocalAgents } from "./local/link.js";
export type { LocalAgentsOptions } from "./local/link.js";
export { AgentRuntime } from "./runtime.js";
export type { AgentRuntimeOptions } from "./runtime.js";
export { systemClock } from "./shard.js";
export type { Clock, HttpClientFactory, ShardOutcome } from "./shard.js";
export { compileShard, isErrorStatus, DEFAULT_MAX_QUEUE, DEFAULT_REPORT_INTERVAL_MS, DEFAULT_REQUEST_TIMEOUT_MS } from "./engine/plan.js";
export type { ShardPlan, SeriesPlan, RequestPlan } from "./engine/plan.js";
export type { HttpClient, HttpClientOptions, Exchange, ExchangeListener, FailureKind } from "./engine/client.js";
export { failureKind, RequestTimeoutError, RETRY_METHODS } from "./engine/client.js";
export { createUndiciClient } from "./engine/undici-client.js";
export { createFastClient } from "./engine/fast-client.js";
export { createHttpClient, fastPathRefusal } from "./engine/choose-client.js";
export { ConstantRate, StagedRate } from "./engine/schedule.js";
export type { RateSchedule } from "./engine/schedule.js";
export { SeriesRecorder, MAX_ERROR_MESSAGES } from "./engine/recorder.js";
export { AGENT_VERSION } from "./version.js";
export { startNatsAgent, defaultAgentId } from "./nats/agent.js";
export type { NatsAgentOptions, NatsAgentHandle } from "./nats/agent.js";
export { startSimulatedAgents } from "./nats/simulate.js";
export type { SimulatedAgentsOptions, SimulatedAgentsHandle } from "./nats/simulate.js";
