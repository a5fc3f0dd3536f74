/**
 * A TaskContext for the custommetrics task that records what the task writes (metrics, samples,
 * errors, events, logs) into a result document.
 */
import { pino } from "pino";
import { REDACTED_PATHS, TaskName } from "../../../core/index.js";
import type { CustomMetricsTaskSpec, MetricInfo, MetricSample, ResultDocument, TaskEntry } from "../../../core/index.js";
import type { SecretResolver, TaskContext, TaskEvent } from "../../../coordinator/tasks/types.js";

export interface Recorded {
  context: TaskContext;
  result: ResultDocument;
  infos: Record<string, MetricInfo>;
  events: TaskEvent[];
  logs(): string;
  abort(): void;
}

/** The spec as the parser produces it: `with` kept in `raw`. */
export function customMetricsSpec(withBlock: Record<string, unknown>): CustomMetricsTaskSpec {
  return {
    task: TaskName.CustomMetrics,
    providers: [],
    values: (withBlock["values"] as Record<string, unknown> | undefined) ?? {},
    versionValues: (withBlock["versionValues"] as Record<string, unknown>[] | undefined) ?? [],
    raw: withBlock,
  };
}

export function envSecrets(env: Record<string, string>): SecretResolver {
  const known = new Set<string>();
  return {
    resolve(reference: string): Promise<string> {
      const name = reference.startsWith("env:") ? reference.slice(4) : reference;
      const value = env[name];
      if (value === undefined) return Promise.reject(new Error(`secret ${reference} is not set`));
      known.add(value);
      return Promise.resolve(value);
    },
    knownValues: () => [...known],
  };
}

export function recordingContext(spec: CustomMetricsTaskSpec, options: { versions?: string[]; secrets?: SecretResolver; source?: string } = {}): Recorded {
  let logged = "";
  const logger = pino({ level: "trace", redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" } }, { write: (line: string) => void (logged += line) });
  const controller = new AbortController();
  const result: ResultDocument = {
    schemaVersion: 1,
    name: "custom-metrics-test",
    completed: false,
    failure: null,
    incomplete: false,
    startTime: new Date().toISOString(),
    numCompletedTasks: 0,
    versions: [...(options.versions ?? [])],
    metrics: {},
    metricsInfo: {},
    slos: [],
    tasks: [],
    histograms: {},
    samples: {},
    metricErrors: {},
    source: options.source ?? "<inline>",
  };
  const infos: Record<string, MetricInfo> = {};
  const events: TaskEvent[] = [];
  const entry: TaskEntry = { index: 0, writtenName: "custommetrics", condition: undefined, conditionText: undefined, spec, location: { file: "test.yaml", line: 1, column: 1 } };
  const context: TaskContext = {
    experiment: { name: result.name, source: result.source, tasks: [entry] },
    entry,
    result,
    experimentStartMs: Date.now() - 30_000,
    signal: controller.signal,
    logger,
    secrets: options.secrets ?? envSecrets({}),
    policy: { allowRunTask: false, kubeconfig: undefined },
    addVersion: (version: string) => {
      if (!result.versions.includes(version)) result.versions.push(version);
    },
    setMetric: (version: string, name: string, value: number, info: MetricInfo) => {
      (result.metrics[version] ??= {})[name] = value;
      infos[name] = info;
    },
    setMetricError: (version: string, name: string, message: string) => {
      ((result.metricErrors ??= {})[version] ??= {})[name] = message;
    },
    setMetricSample: (version: string, name: string, sample: MetricSample) => {
      ((result.samples ??= {})[version] ??= {})[name] = sample;
    },
    setResultField: (key, value) => {
      (result as unknown as Record<string, unknown>)[key] = value;
    },
    emit: (event: TaskEvent) => void events.push(event),
  };
  return { context, result, infos, events, logs: () => logged, abort: () => controller.abort() };
}
