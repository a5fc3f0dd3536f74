/**
 * The contract every task implementation follows. The experiment runner (coordinator/runner)
 * evaluates a task's `if`, builds a TaskContext, calls the task's runner and records its outcome.
 */
import type { FetchSettings } from "../fetch/index.js";
import type { Dispatcher } from "undici";
import type {
  api,
  EgressGuard,
  Experiment,
  Logger,
  MetricInfo,
  MetricSample,
  ResultDocument,
  TaskEntry,
  TaskName,
  TaskSpec,
  TemplateLimits,
} from "../../core/index.js";
import type { LoadSnapshotData } from "../load/snapshot.js";
import type { SampleMap } from "./cumulative.js";

/** Resolves secret references (env:NAME, file:/path, k8s Secret) to their values. */
export interface SecretResolver {
  /** Returns the secret's value; throws a ConfigurationError naming the reference when missing. */
  resolve(reference: string): Promise<string>;
  /** Every secret value resolved so far, so outputs can be scrubbed of them. */
  knownValues(): readonly string[];
}

/** Operator switches that tasks respect. */
export interface RunnerPolicy {
  /** The `run` task executes shell commands only when this is true. */
  readonly allowRunTask: boolean;
  /** Path of a kubeconfig; undefined = in-cluster config or KUBECONFIG. */
  readonly kubeconfig: string | undefined;
  /**
   * The coordinator service's outbound rules (absent in local runs): every request a task makes
   * goes through `dispatcher` (the allow-list checked at connect time), load tasks hand the
   * allow-list to their agents, and local files are read only where `fileAccess` allows.
   */
  readonly egress?: EgressPolicy | undefined;
  /** Budgets of the tasks' template executions (absent: DEFAULT_TEMPLATE_LIMITS). */
  readonly templateLimits?: Partial<TemplateLimits> | undefined;
  /**
   * Where the tasks' run-time templates (notify payloads, patches, custommetrics queries and
   * provider templates) execute. Absent: on the calling thread, within templateLimits (a local
   * run). The coordinator service executes them in a worker thread (coordinator/isolation), so a
   * template that runs up to its budget never holds the service's event loop.
   */
  readonly templates?: TemplateExecutor | undefined;
}

/**
 * One run-time template execution, as plain data (it may cross to a worker thread): the template,
 * the name its errors show, its budget, and its data — plain JSON, or the template data of a
 * result document (docs/actions.md), which is built where the template runs.
 */
export interface TemplateJob {
  readonly text: string;
  readonly name: string;
  readonly limits?: Partial<TemplateLimits> | undefined;
  readonly data: TemplateJobData;
}

export type TemplateJobData =
  | { readonly kind: "json"; readonly value: unknown }
  | { readonly kind: "result"; readonly result: ResultDocument; readonly nowMs: number; readonly uptimeSeconds: number };

/** Executes template jobs: the text rendered, or the template's ValidationError. */
export interface TemplateExecutor {
  render(job: TemplateJob): Promise<string>;
}

export interface EgressPolicy {
  readonly guard: EgressGuard;
  readonly dispatcher: Dispatcher;
  /** Why a local file may not be read (undefined: it may). */
  readonly fileAccess: (fullPath: string, field: string) => string | undefined;
}

/** The `data` of a load task's "progress" event: merged counts so far and the expected totals. */
export interface LoadProgressData {
  readonly requests: number;
  readonly errors: number;
  readonly dropped: number;
  readonly reportsMerged: number;
  readonly elapsedMs: number;
  /** Expected totals, when the task's spec determines them. */
  readonly totalRequests: number | undefined;
  readonly totalMs: number | undefined;
  /** Set on the task's last progress event, sent after every report was merged. */
  readonly final?: true;
  /** With `final`: the load ran to its planned end (not interrupted, link not lost). */
  readonly complete?: boolean;
}

/**
 * An event a task reports while it runs (the CLI's progress line, `watch`, logs), told apart by
 * `type`; `message` is the human line, `data` the typed payload.
 */
export type TaskEvent =
  /** Load task: several times a second. */
  | { readonly type: "progress"; readonly message: string; readonly data: LoadProgressData }
  /** Load task: once per report interval and at the end, per-version metrics for watchers. */
  | { readonly type: "snapshot"; readonly message: string; readonly data: LoadSnapshotData }
  /** `assess` run by the coordinator service: the outcome as the API's Assessment message. */
  | { readonly type: "assessment"; readonly message: string; readonly data: api.Assessment }
  /** Action task: an attempt failed and another follows after `waitMs`. */
  | { readonly type: "action-retry"; readonly message: string; readonly data: { readonly attempt: number; readonly waitMs: number; readonly status?: number } }
  /** `ready`: the object is not ready yet after `polls` polls. */
  | { readonly type: "ready-wait"; readonly message: string; readonly data: { readonly polls: number } }
  /** `custommetrics`: how many metrics were recorded and how many could not be obtained. */
  | { readonly type: "custom-metrics"; readonly message: string; readonly data: { readonly set: number; readonly errors: number } };

export type TaskEventType = TaskEvent["type"];

/** Where a looped experiment is (coordinator/runner/loops.ts); a plain run is loop 1 of 1. */
export interface LoopInfo {
  /** 1-based. */
  readonly number: number;
  /** Loops planned; undefined = until cancelled (a schedule without --loops). */
  readonly planned: number | undefined;
  /** This is the last planned loop: the `traffic` task applies its `onFinish`. */
  readonly last: boolean;
  /** The samples of the loops before this one, added up (for `assess` with `scope: cumulative`). */
  readonly earlierSamples: Readonly<SampleMap>;
}

export interface TaskContext {
  readonly experiment: Experiment;
  readonly entry: TaskEntry;
  /** The result document so far. Tasks read it; they write only through the methods below. */
  readonly result: Readonly<ResultDocument>;
  /** When the experiment started (epoch ms). */
  readonly experimentStartMs: number;
  /** Aborted on Ctrl-C or Cancel: tasks stop promptly and keep what they measured. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly secrets: SecretResolver;
  readonly policy: RunnerPolicy;
  /** How tasks fetch URLs at run time (custommetrics `templates:`): the experiment's settings. */
  readonly fetch?: Omit<FetchSettings, "signal">;
  /** The loop running (the runner always sets it; absent = loop 1 of 1). */
  readonly loop?: LoopInfo;
  /** Declares a version (load tasks do; metrics tasks may for versions they query). */
  addVersion(version: string): void;
  setMetric(version: string, name: string, value: number, info: MetricInfo): void;
  /** A metric that could not be obtained for a version: recorded, never invented. */
  setMetricError(version: string, name: string, message: string): void;
  setMetricSample(version: string, name: string, sample: MetricSample): void;
  /** Merges a field into the result document (e.g. `assessment`, `load`). */
  setResultField<K extends keyof ResultDocument>(key: K, value: ResultDocument[K]): void;
  emit(event: TaskEvent): void;
}

export interface TaskOutcome {
  /** Shown under the task in the result (`tasks[i].detail`). */
  readonly detail?: Record<string, unknown>;
  /** Action tasks: attempts made. */
  readonly attempts?: number;
}

export type TaskRunner<S extends TaskSpec = TaskSpec> = (spec: S, context: TaskContext) => Promise<TaskOutcome>;

/** Each task's spec type, by task name (`TaskSpecs["http"]` is HttpTaskSpec). */
export type TaskSpecs = { readonly [N in TaskName]: Extract<TaskSpec, { readonly task: N }> };

/** Runners by task name, each taking its own task's spec: no casts where runners are wired. */
export type TaskRunners = { readonly [N in TaskName]?: TaskRunner<TaskSpecs[N]> };
