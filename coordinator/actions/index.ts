/**
 * The action tasks: what an experiment does with its outcome. Each runner follows the TaskRunner
 * contract (coordinator/tasks/types.ts). A failed action throws ActionFailedError (kind target,
 * code ACTION_FAILED) carrying `attempts` and a scrubbed `detail`; the experiment runner records
 * it and continues when the task's `softFailure` is true. See docs/actions.md.
 */
import type {
  CloudEventTaskSpec,
  GithubTaskSpec,
  K8sPatchTaskSpec,
  NotifyTaskSpec,
  ReadyTaskSpec,
  RunTaskSpec,
  SlackTaskSpec,
  TrafficTaskSpec,
} from "../../core/index.js";
import type { TaskRunner, TaskRunners } from "../tasks/types.js";
import { runCloudEvent } from "./cloudevent.js";
import { DEFAULT_ACTION_OPTIONS } from "./common.js";
import type { ActionOptions, ResolvedActionOptions } from "./common.js";
import { runGithub } from "./github.js";
import { runK8sPatch } from "./k8s-patch.js";
import { runNotify } from "./notify.js";
import { runReady } from "./ready.js";
import { runRun } from "./run.js";
import { runSlack } from "./slack.js";
import { runTraffic } from "./traffic.js";

export { ActionFailedError, DEFAULT_ACTION_OPTIONS, DEFAULT_ACTION_TIMEOUT_MS, DEFAULT_RETRIES, redactUrl, scrubText } from "./common.js";
export type { ActionOptions } from "./common.js";
export { createSecretResolver, resolveReferences, secretKeyRefReference, hasSecretReference } from "./secrets.js";
export type { SecretResolverOptions } from "./secrets.js";
export { decideTraffic } from "./traffic-split.js";
export type { TrafficDecision, TrafficInput } from "./traffic-split.js";
export { templateData, summarize, summaryText, slackMessage } from "./template-data.js";
export { INLINE_TEMPLATE_EXECUTOR, runTemplateJob, templateExecutor } from "./template-job.js";
export type { ResultSummary } from "./template-data.js";

export interface ActionRunners {
  readonly notify: TaskRunner<NotifyTaskSpec>;
  readonly slack: TaskRunner<SlackTaskSpec>;
  readonly github: TaskRunner<GithubTaskSpec>;
  readonly cloudevent: TaskRunner<CloudEventTaskSpec>;
  readonly "k8s-patch": TaskRunner<K8sPatchTaskSpec>;
  readonly ready: TaskRunner<ReadyTaskSpec>;
  readonly run: TaskRunner<RunTaskSpec>;
  readonly traffic: TaskRunner<TrafficTaskSpec>;
}

/** Action runners with tuned backoff and polling (tests shorten them). */
export function createActionRunners(options: ActionOptions = {}): ActionRunners {
  const resolved: ResolvedActionOptions = { ...DEFAULT_ACTION_OPTIONS, ...options };
  return {
    notify: (spec, context) => runNotify(spec, context, resolved),
    slack: (spec, context) => runSlack(spec, context, resolved),
    github: (spec, context) => runGithub(spec, context, resolved),
    cloudevent: (spec, context) => runCloudEvent(spec, context, resolved),
    "k8s-patch": (spec, context) => runK8sPatch(spec, context, resolved),
    ready: (spec, context) => runReady(spec, context, resolved),
    run: (spec, context) => runRun(spec, context, resolved),
    traffic: (spec, context) => runTraffic(spec, context, resolved),
  };
}

/** The action runners with default backoff (500 ms base, 10 s cap) and polling. */
export const actionRunners: ActionRunners = createActionRunners();

/** The runners keyed by task name, in the shape runExperiment's `runners` option takes. */
export function actionRunnerTable(runners: ActionRunners = actionRunners): TaskRunners {
  return { ...runners };
}
export { iter8ResultText } from "./iter8-report.js";
