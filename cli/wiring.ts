/**
 * Which task runners and assessment layer the CLI gives the coordinator. Modules land here as
 * they become available, so commands do not each assemble their own list.
 */
import type { BayesianAssessor, TaskRunner } from "../coordinator/index.js";
import type { TaskName } from "../core/index.js";

export function defaultRunners(): Partial<Record<TaskName, TaskRunner>> {
  return {};
}

export function defaultBayesian(): BayesianAssessor | undefined {
  return undefined;
}
