/**
 * The contract every task implementation follows. The experiment runner (coordinator/runner)
 * evaluates a task's `if`, builds a TaskContext, calls the task's runner and records its outcome.
 */
import type {
  Experiment,
  Logger,
  MetricInfo,
  MetricSample,
  ResultDocument,
  TaskEntry,
  TaskSpec,
} from "../../core/index.js";

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
}

/** An event a task reports while it runs (shown by `watch`, logged). */
export interface TaskEvent {
  readonly type: string;
  readonly message: string;
  readonly data?: Record<string, unknown>;
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
