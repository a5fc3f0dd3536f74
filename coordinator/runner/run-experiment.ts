/**
 * Runs one experiment: tasks in order, each after its `if` condition; records every outcome in the
 * result document. A task that fails stops the experiment (Iter8's semantics) unless it is a soft
 * failure; a cancel stops the current task promptly, keeps what it measured, and marks the result
 * incomplete.
 */
import {
  ConfigurationError,
  ErrorCode,
  ErrorKind,
  RESULT_SCHEMA_VERSION,
  evaluateCondition,
  toAssayError,
} from "../../core/index.js";
import type {
  AgentLink,
  ConditionContext,
  Experiment,
  Logger,
  MetricInfo,
  MetricSample,
  ResultDocument,
  TaskEntry,
  TaskResult,
  TaskSpec,
} from "../../core/index.js";
import { createSecretResolver } from "../actions/index.js";
import { fetchRunTimeResource, resolveRunTimeFetches } from "../fetch/index.js";
import type { FetchSettings } from "../fetch/index.js";
import { createGrpcLoadRunner } from "../load/grpc-task.js";
import { createHttpLoadRunner } from "../load/load-task.js";
import { createAssessRunner } from "../tasks/assess.js";
import type { BayesianAssessor } from "../tasks/assess.js";
import { invokeRunner } from "../tasks/registry.js";
import type { LoopInfo, RunnerPolicy, SecretResolver, TaskContext, TaskEvent, TaskRunners } from "../tasks/types.js";
import { SINGLE_RUN, driveLoops } from "./loops.js";
import type { LoopEvent, LoopPlan } from "./loops.js";
import { recordTimelinePoint } from "./timeline.js";

/** What a caller can observe while the experiment runs. */
export type RunEvent =
  /** `result` is the live result document, filled in as tasks run (read it, never write it). */
  | { readonly type: "experiment-started"; readonly name: string; readonly tasks: number; readonly result: Readonly<ResultDocument> }
  | { readonly type: "task-started"; readonly index: number; readonly task: string }
  | { readonly type: "task-finished"; readonly index: number; readonly task: string; readonly status: TaskResult["status"]; readonly error?: string }
  | { readonly type: "task-event"; readonly index: number; readonly task: string; readonly event: TaskEvent }
  | { readonly type: "experiment-finished"; readonly result: ResultDocument }
  /** Looped experiments: a loop began or ended (`record` is its entry in `result.loops`). */
  | LoopEvent;

export interface RunExperimentOptions {
  /** The agents that generate load. */
  readonly link: AgentLink;
  readonly logger: Logger;
  /** Aborting stops the experiment: load stops within a second, measurements are kept. */
  readonly signal?: AbortSignal;
  readonly policy?: Partial<RunnerPolicy>;
  readonly secrets?: SecretResolver;
  readonly onEvent?: (event: RunEvent) => void;
  /** Runners for tasks beyond the built-in http and assess (actions, custom metrics). */
  readonly runners?: TaskRunners;
  /** The Bayesian layer of `assess`. */
  readonly bayesian?: BayesianAssessor;
  /** Agents' report interval (default 1000 ms). */
  readonly reportIntervalMs?: number;
  /**
   * How URLs named by tasks (payloadURL, payloadTemplateURL) are fetched when the task runs:
   * timeout, size limit, and an undici dispatcher (the service's allow-list). Defaults: fetch.ts.
   */
  readonly fetch?: Omit<FetchSettings, "signal">;
  /** Run the task list in loops (coordinator/runner/loops.ts); default: once. */
  readonly loops?: LoopPlan;
}

/** Returns a ConfigurationError for tasks this build cannot run, before anything starts. */
export function checkRunnable(experiment: Experiment, runners: TaskRunners): void {
  for (const entry of experiment.tasks) {
    if (!runners[entry.spec.task]) {
      throw new ConfigurationError(
        ErrorCode.UnknownTask,
        `task ${entry.index + 1} (${entry.writtenName}) cannot run: the ${entry.spec.task} task is not available in this build`,
        { location: entry.location, field: `spec[${entry.index}].task` },
      );
    }
  }
}

export async function runExperiment(experiment: Experiment, options: RunExperimentOptions): Promise<ResultDocument> {
  const signal = options.signal ?? new AbortController().signal;
  const policy: RunnerPolicy = { allowRunTask: false, kubeconfig: undefined, ...options.policy };
  // Run-time fetches go through the service's allow-list (its egress dispatcher) unless told otherwise.
  const fetchSettings = { ...(policy.egress ? { dispatcher: policy.egress.dispatcher } : {}), ...options.fetch };
  const readGrpcUrl = (url: string, field: string): Promise<Uint8Array> => fetchRunTimeResource(url, { ...fetchSettings, signal, field });
  const runners: TaskRunners = {
    http: createHttpLoadRunner({ link: options.link, ...(options.reportIntervalMs ? { reportIntervalMs: options.reportIntervalMs } : {}) }),
    grpc: createGrpcLoadRunner({ link: options.link, ...(options.reportIntervalMs ? { reportIntervalMs: options.reportIntervalMs } : {}) }, readGrpcUrl),
    assess: createAssessRunner(options.bayesian),
    ...options.runners,
  };
  checkRunnable(experiment, runners);

  const startMs = Date.now();
  const result: ResultDocument = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    name: experiment.name,
    completed: false,
    failure: null,
    incomplete: false,
    startTime: new Date(startMs).toISOString(),
    numCompletedTasks: 0,
    versions: [],
    metrics: {},
    metricsInfo: {},
    slos: [],
    tasks: experiment.tasks.map((entry) => ({
      index: entry.index,
      task: entry.spec.task,
      ...(entry.writtenName !== entry.spec.task ? { writtenName: entry.writtenName } : {}),
      status: "pending",
      ...(entry.conditionText !== undefined ? { condition: entry.conditionText } : {}),
    })),
    histograms: {},
    numLoops: 1,
    source: experiment.source,
  };
  const emit = (event: RunEvent): void => options.onEvent?.(event);
  // One resolver per experiment, so the values it scrubs from outputs are this experiment's.
  const secrets = options.secrets ?? createSecretResolver({ kubeconfig: policy.kubeconfig });
  emit({ type: "experiment-started", name: experiment.name, tasks: experiment.tasks.length, result });

  const runOnce = async (loop: LoopInfo): Promise<boolean> => {
    let stopped = false;
    for (const entry of experiment.tasks) {
      const taskResult = result.tasks[entry.index];
      if (!taskResult) continue;
      if (stopped) break;
      if (signal.aborted) {
        markInterrupted(result);
        stopped = true;
        break;
      }
      if (entry.condition && !evaluateCondition(entry.condition, conditionContext(result))) {
        taskResult.status = "skipped";
        result.numCompletedTasks++;
        emit({ type: "task-finished", index: entry.index, task: entry.spec.task, status: "skipped" });
        continue;
      }
      const taskStartMs = Date.now();
      taskResult.status = "running";
      taskResult.startTime = new Date(taskStartMs).toISOString();
      emit({ type: "task-started", index: entry.index, task: entry.spec.task });
      const context = taskContext(entry, result, {
        experiment,
        startMs,
        signal,
        logger: options.logger.child({ task: entry.index, taskName: entry.spec.task }),
        secrets,
        policy,
        loop,
        fetch: fetchSettings,
        emit: (event) => {
          if (event.type === "snapshot") recordTimelinePoint(result, entry.index, event.data);
          emit({ type: "task-event", index: entry.index, task: entry.spec.task, event });
        },
      });
      try {
        const spec = await resolveRunTimeFetches(entry.spec, entry.index, { ...fetchSettings, signal });
        const outcome = await invokeRunner(runners, { name: spec.task, spec }, context);
        taskResult.status = "completed";
        if (outcome.detail) taskResult.detail = scrub(outcome.detail, secrets);
        if (outcome.attempts !== undefined) taskResult.attempts = outcome.attempts;
        result.numCompletedTasks++;
      } catch (thrown) {
        const error = toAssayError(thrown);
        const message = scrubText(error.message, secrets);
        taskResult.error = { code: error.code, message };
        // Action tasks' errors carry how many attempts were made and what the last one saw.
        const extra = thrown as { attempts?: unknown; detail?: unknown };
        if (typeof extra.attempts === "number") taskResult.attempts = extra.attempts;
        if (extra.detail !== null && typeof extra.detail === "object") taskResult.detail = scrub(extra.detail as Record<string, unknown>, secrets);
        if (error.kind === ErrorKind.Cancelled || signal.aborted) {
          taskResult.status = "cancelled";
          markInterrupted(result);
          stopped = true;
        } else {
          taskResult.status = "failed";
          if (isSoftFailure(entry.spec)) {
            options.logger.warn({ task: entry.index, code: error.code }, `task ${entry.index + 1} (${entry.spec.task}) failed softly: ${message}`);
          } else {
            result.failure = `task ${entry.index + 1} (${entry.writtenName}) failed: ${message}`;
            stopped = true;
          }
        }
      } finally {
        taskResult.durationMs = Date.now() - taskStartMs;
        emit({
          type: "task-finished",
          index: entry.index,
          task: entry.spec.task,
          status: taskResult.status,
          ...(taskResult.error ? { error: taskResult.error.message } : {}),
        });
      }
    }
    return stopped;
  };
  await driveLoops({ experiment, result, plan: options.loops ?? SINGLE_RUN, signal, emit, runOnce });
  result.completed = !result.incomplete && result.failure === null && result.tasks.every((t) => t.status === "completed" || t.status === "skipped" || (t.status === "failed" && isSoftFailureByName(experiment, t.index)));
  result.endTime = new Date().toISOString();
  emit({ type: "experiment-finished", result });
  return result;
}

function markInterrupted(result: ResultDocument): void {
  result.incomplete = true;
  result.failure ??= "interrupted: the experiment was stopped before all tasks ran; measurements so far are kept";
}

function isSoftFailure(spec: TaskSpec): boolean {
  return "softFailure" in spec && spec.softFailure;
}

function isSoftFailureByName(experiment: Experiment, index: number): boolean {
  const entry = experiment.tasks[index];
  return entry !== undefined && isSoftFailure(entry.spec);
}

/** The view `if:` conditions evaluate against. */
export function conditionContext(result: ResultDocument): ConditionContext {
  const assessment = result.assessment as { winner?: unknown; baseline?: unknown } | undefined;
  const winner = typeof assessment?.winner === "string" ? assessment.winner : null;
  const baseline = typeof assessment?.baseline === "string" ? assessment.baseline : result.versions[0];
  return {
    // Iter8: false before any task produced insights (no versions); afterwards true unless an SLO is broken.
    slosSatisfied: () => result.versions.length > 0 && result.slos.every((slo) => result.versions.every((v) => slo.satisfied[v] === true)),
    winner: () => winner,
    candidateWon: () => winner !== null && winner !== baseline,
    result: result as unknown as Record<string, unknown>,
  };
}

interface ContextParts {
  experiment: Experiment;
  startMs: number;
  signal: AbortSignal;
  logger: Logger;
  secrets: SecretResolver;
  policy: RunnerPolicy;
  loop: LoopInfo;
  fetch?: Omit<FetchSettings, "signal">;
  emit: (event: TaskEvent) => void;
}

function taskContext(entry: TaskEntry, result: ResultDocument, parts: ContextParts): TaskContext {
  const addVersion = (version: string): void => {
    if (!result.versions.includes(version)) result.versions.push(version);
    result.metrics[version] ??= {};
  };
  return {
    experiment: parts.experiment,
    entry,
    result,
    experimentStartMs: parts.startMs,
    signal: parts.signal,
    logger: parts.logger,
    secrets: parts.secrets,
    policy: parts.policy,
    loop: parts.loop,
    ...(parts.fetch ? { fetch: parts.fetch } : {}),
    addVersion,
    setMetric(version: string, name: string, value: number, info: MetricInfo): void {
      addVersion(version);
      const metrics = (result.metrics[version] ??= {});
      metrics[name] = value;
      result.metricsInfo[name] = info;
      const errors = result.metricErrors?.[version];
      if (errors) delete errors[name];
    },
    setMetricError(version: string, name: string, message: string): void {
      addVersion(version);
      result.metricErrors ??= {};
      (result.metricErrors[version] ??= {})[name] = scrubText(message, parts.secrets);
    },
    setMetricSample(version: string, name: string, sample: MetricSample): void {
      result.samples ??= {};
      (result.samples[version] ??= {})[name] = sample;
    },
    setResultField(key, value): void {
      result[key] = value;
    },
    emit: parts.emit,
  };
}

function scrubText(text: string, secrets: SecretResolver): string {
  let scrubbed = text;
  for (const value of secrets.knownValues()) {
    if (value.length >= 4) scrubbed = scrubbed.split(value).join("[redacted]");
  }
  return scrubbed;
}

function scrub(detail: Record<string, unknown>, secrets: SecretResolver): Record<string, unknown> {
  if (secrets.knownValues().length === 0) return detail;
  return JSON.parse(scrubText(JSON.stringify(detail), secrets)) as Record<string, unknown>;
}
