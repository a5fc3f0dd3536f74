/**
 * What the coordinator service adds to running an experiment, built once from its config: the
 * checks at submit (`run` tasks, allow-list, limits, secret references) and the runner policy
 * every task runs under (outbound requests through the allow-list at connect time, agents told
 * the allow-list, template budgets, run-time templates rendered in a worker thread
 * (coordinator/isolation), secrets only from declared sources, no local files).
 */
import { ErrorCode, ValidationError, createEgressGuard } from "../../core/index.js";
import type { EgressGuard, Experiment, ParseOptions, ResolveAll } from "../../core/index.js";
import { createSecretResolver } from "../actions/index.js";
import { IsolatedTemplates } from "../isolation/index.js";
import type { RunnerPolicy, SecretResolver } from "../tasks/types.js";
import type { CoordinatorConfig } from "./config.js";
import { checkExperimentSafety, checkExperimentTargets } from "./safety.js";
import { checkSecretReferences, createServiceSecretResolver, fileAccessOf } from "./secret-sources.js";
import type { SecretSources } from "./secret-sources.js";

export type ServiceConfig = Pick<CoordinatorConfig, "allowList" | "limits"> & Partial<Pick<CoordinatorConfig, "secretSources" | "templateLimits">>;

export interface ServicePolicy {
  readonly guard: EgressGuard;
  /** Parse options of submitted experiments (no local files but declared secret files). */
  readonly parseOptions: Pick<ParseOptions, "readableFiles">;
  /** The runner policy of every experiment: the operator's switches plus egress and template limits. */
  readonly runnerPolicy: Partial<RunnerPolicy>;
  /** Throws the first reason to refuse `experiment` at submit (ValidationError naming the field). */
  check(experiment: Experiment): Promise<void>;
  /** A resolver for one experiment's run. */
  secretResolver(): SecretResolver;
  close(): Promise<void>;
}

export function createServicePolicy(config: ServiceConfig, policy: Partial<RunnerPolicy> = {}, options: { resolve?: ResolveAll } = {}): ServicePolicy {
  const guard = createEgressGuard(config.allowList, options.resolve ? { resolve: options.resolve } : {});
  const dispatcher = guard.dispatcher();
  const sources: SecretSources = config.secretSources ?? new Map<string, never>();
  const templates = new IsolatedTemplates();
  return {
    guard,
    parseOptions: { readableFiles: [...sources.values()].flatMap((source) => ("file" in source ? [source.file] : [])) },
    runnerPolicy: {
      ...policy,
      egress: { guard, dispatcher, fileAccess: fileAccessOf(sources) },
      ...(config.templateLimits ? { templateLimits: config.templateLimits } : {}),
      templates,
    },
    async check(experiment: Experiment): Promise<void> {
      if (policy.allowRunTask !== true) {
        const run = experiment.tasks.find((entry) => entry.spec.task === "run");
        if (run) {
          throw new ValidationError(ErrorCode.RunDisabled, `spec[${run.index}]: this coordinator refuses \`run\` tasks (shell commands on its host)`, {
            field: `spec[${run.index}].run`,
            location: run.location,
            suggestion: "ask the coordinator's operator to start it with --allow-run",
          });
        }
      }
      checkExperimentSafety(experiment, config.allowList, config.limits);
      checkSecretReferences(experiment, sources);
      await checkExperimentTargets(experiment, guard);
    },
    secretResolver: () => createServiceSecretResolver(sources, createSecretResolver({ kubeconfig: policy.kubeconfig })),
    close: async () => {
      await templates.close();
      await dispatcher.close();
    },
  };
}
