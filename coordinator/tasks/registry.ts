/**
 * The runner table: which runner runs each task, typed by task name so every runner keeps its own
 * spec type, and the default table every entry point (`assay run`, `assay demo`, the coordinator
 * service) gives the experiment runner, so they all run experiments the same way.
 */
import { ConfigurationError, ErrorCode } from "../../core/index.js";
import type { TaskName } from "../../core/index.js";
import { actionRunnerTable } from "../actions/index.js";
import { assessResult } from "../assessment/index.js";
import { customMetricsRunner } from "../metrics-backends/index.js";
import type { BayesianAssessor } from "./assess.js";
import type { TaskContext, TaskOutcome, TaskRunners, TaskSpecs } from "./types.js";

/**
 * Calls the runner registered for `task.name` with the task's spec. Rejects with a
 * ConfigurationError when there is none (runExperiment checks every task before it starts).
 */
export async function invokeRunner<N extends TaskName>(
  runners: TaskRunners,
  task: { readonly name: N; readonly spec: TaskSpecs[N] },
  context: TaskContext,
): Promise<TaskOutcome> {
  const runner = runners[task.name];
  if (!runner) throw new ConfigurationError(ErrorCode.UnknownTask, `the ${task.name} task is not available in this build`);
  return runner(task.spec, context);
}

/**
 * The runners for tasks beyond the built-in `http` and `assess`: custom metrics and the actions.
 * `assay run`, `assay demo` and `assay coordinator` all pass this table.
 */
export function defaultRunners(): TaskRunners {
  return { custommetrics: customMetricsRunner, ...actionRunnerTable() };
}

/** The Bayesian layer of `assess` (rewards, probabilities, winner, traffic split). */
export function defaultBayesian(): BayesianAssessor {
  return (spec, result, slos) => assessResult(spec, result, slos);
}
