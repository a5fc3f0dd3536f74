/**
 * Which task runners and assessment layer the CLI gives the coordinator, in one place, so every
 * command (run, demo, the coordinator service) runs experiments the same way.
 */
import { actionRunnerTable, assessResult, customMetricsRunner } from "../coordinator/index.js";
import type { BayesianAssessor, TaskRunner } from "../coordinator/index.js";
import type { TaskName } from "../core/index.js";

export function defaultRunners(): Partial<Record<TaskName, TaskRunner>> {
  return { custommetrics: customMetricsRunner as TaskRunner, ...actionRunnerTable() };
}

export function defaultBayesian(): BayesianAssessor | undefined {
  return (spec, result, slos) => assessResult(spec, result, slos);
}
