/**
 * Which task runners and assessment layer the CLI gives the coordinator, in one place, so every
 * command (run, demo, the coordinator service) runs experiments the same way.
 */
import { assessResult, createActionRunners, createSecretResolver, customMetricsRunner } from "../coordinator/index.js";
import type { BayesianAssessor, SecretResolver, TaskRunner } from "../coordinator/index.js";
import type { TaskName } from "../core/index.js";

export function defaultRunners(): Partial<Record<TaskName, TaskRunner>> {
  const actions = createActionRunners();
  return {
    custommetrics: customMetricsRunner as TaskRunner,
    notify: actions.notify as TaskRunner,
    slack: actions.slack as TaskRunner,
    github: actions.github as TaskRunner,
    cloudevent: actions.cloudevent as TaskRunner,
    "k8s-patch": actions["k8s-patch"] as TaskRunner,
    ready: actions.ready as TaskRunner,
    run: actions.run as TaskRunner,
  };
}

export function defaultBayesian(): BayesianAssessor | undefined {
  return (spec, result, slos) => assessResult(spec, result, slos);
}

export function defaultSecrets(): SecretResolver {
  return createSecretResolver();
}
