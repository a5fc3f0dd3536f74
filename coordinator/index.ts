/**
 * coordinator: runs experiments against agents reached through an AgentLink. The CLI and the
 * long-running service import only this entry.
 */
export { runExperiment, checkRunnable, conditionContext, envSecretResolver } from "./runner/run-experiment.js";
export type { RunEvent, RunExperimentOptions } from "./runner/run-experiment.js";
export { evaluateSlos, createAssessRunner } from "./tasks/assess.js";
export type { BayesianAssessor } from "./tasks/assess.js";
export type { TaskContext, TaskOutcome, TaskRunner, TaskEvent, SecretResolver, RunnerPolicy } from "./tasks/types.js";
export { createHttpLoadRunner, planShards, selectAgents } from "./load/load-task.js";
export { RunMerger, SeriesAggregate } from "./load/merger.js";
export { splitInteger, splitRate, participants } from "./load/sharding.js";
export { computeSeriesMetrics, percentileSuffix } from "./load/builtin-metrics.js";
