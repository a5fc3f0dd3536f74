/**
 * An Iter8 experiment.yaml that carries a `result:` section (what `iter8 k run` / `iter8 k assert`
 * read) as a result document, so `assay assert` and `assay report` take it as Iter8's assert did:
 * Completed = numCompletedTasks equals the number of tasks, NoFailure = not `failure`, SLOs from
 * `insights.SLOs` and `insights.SLOsSatisfied`, metrics from `insights.nonHistMetricValues`.
 * Keys are matched case-insensitively, as Go's encoding/json decodes them.
 */
import { basename } from "node:path";
import { ErrorCode, RESULT_SCHEMA_VERSION, ValidationError, canonicalMetricName } from "../../core/index.js";
import type { MetricInfo, ResultDocument, SloResult, TaskResult } from "../../core/index.js";

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The value of `key` in any letter case (Go's encoding/json). */
function field(object: unknown, key: string): unknown {
  if (!isRecord(object)) return undefined;
  if (key in object) return object[key];
  const lower = key.toLowerCase();
  const found = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : object[found];
}

/** Whether a parsed YAML document is an Iter8 experiment (a `spec:` list of tasks). */
export function text(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

function listOf(value: unknown): readonly unknown[] | undefined {
  return Array.isArray(value) ? (value as unknown[]) : undefined;
}

/** Whether a parsed YAML document is an Iter8 experiment (a `spec:` list of tasks). */
export function isIter8Experiment(document: unknown): boolean {
  return Array.isArray(field(document, "spec"));
}

function versionNames(insights: unknown): string[] {
  const listed = field(insights, "versionNames");
  if (Array.isArray(listed) && listed.length > 0) {
    return listed.map((entry, i) => {
      const name = field(entry, "version");
      return typeof name === "string" && name !== "" ? name : `v${i + 1}`;
    });
  }
  const count = field(insights, "numVersions");
  const n = typeof count === "number" && count > 0 ? count : 1;
  return n === 1 ? ["default"] : Array.from({ length: n }, (_, i) => `v${i + 1}`);
}

function metricsOf(insights: unknown, versions: readonly string[]): Record<string, Record<string, number>> {
  const metrics: Record<string, Record<string, number>> = {};
  const perVersion = field(insights, "nonHistMetricValues");
  versions.forEach((version, i) => {
    const values: Record<string, number> = {};
    const entry = listOf(perVersion)?.[i];
    if (isRecord(entry)) {
      for (const [name, list] of Object.entries(entry)) {
        const series = listOf(list);
        const last = series === undefined ? list : series[series.length - 1];
        if (typeof last === "number") values[canonicalMetricName(name)] = last;
      }
    }
    metrics[version] = values;
  });
  return metrics;
}

function metricsInfoOf(insights: unknown): Record<string, MetricInfo> {
  const info: Record<string, MetricInfo> = {};
  const listed = field(insights, "metricsInfo");
  if (!isRecord(listed)) return info;
  for (const [name, meta] of Object.entries(listed)) {
    const type = text(field(meta, "type"), "gauge").toLowerCase();
    const units = field(meta, "units");
    info[canonicalMetricName(name)] = {
      description: text(field(meta, "description"), ""),
      type: type === "counter" || type === "histogram" ? type : "gauge",
      ...(typeof units === "string" && units !== "" ? { units } : {}),
    };
  }
  return info;
}

function slosOf(insights: unknown, versions: readonly string[], metrics: Record<string, Record<string, number>>): SloResult[] {
  const out: SloResult[] = [];
  for (const direction of ["upper", "lower"] as const) {
    const limits = field(field(insights, "SLOs"), direction);
    const satisfied = field(field(insights, "SLOsSatisfied"), direction);
    if (!Array.isArray(limits)) continue;
    limits.forEach((slo, i) => {
      const metric = canonicalMetricName(text(field(slo, "metric"), ""));
      const row = listOf(satisfied)?.[i];
      out.push({
        metric,
        direction,
        limit: Number(field(slo, "limit") ?? 0),
        satisfied: Object.fromEntries(versions.map((version, v) => [version, Array.isArray(row) && row[v] === true])),
        value: Object.fromEntries(versions.map((version) => [version, metrics[version]?.[metric] ?? null])),
      });
    });
  }
  return out;
}

function taskName(entry: unknown): string {
  const task = field(entry, "task");
  if (typeof task === "string") return task;
  return field(entry, "run") !== undefined ? "run" : "unknown";
}

/** The result document of an Iter8 experiment.yaml; throws when it has no `result:` section. */
export function iter8ExperimentResult(document: unknown, path: string): ResultDocument {
  const spec = field(document, "spec") as unknown[];
  const result = field(document, "result");
  if (!isRecord(result)) {
    throw new ValidationError(ErrorCode.BadResultFile, `${path}: an Iter8 experiment without a result: section (nothing has run it yet)`, {
      suggestion: `run it with \`assay run ${path} --out result.json\`, then \`assay assert result.json\``,
    });
  }
  const insights = field(result, "insights");
  const versions = versionNames(insights);
  const metrics = metricsOf(insights, versions);
  const done = Number(field(result, "numCompletedTasks") ?? 0);
  const failed = field(result, "failure") === true;
  const failure = failed ? `the experiment failed (Iter8 result: failure: true after ${done} of ${spec.length} tasks)` : null;
  const tasks: TaskResult[] = spec.map((entry, index) => {
    const condition = field(entry, "if");
    const status: TaskResult["status"] = index < done ? "completed" : failed && index === done ? "failed" : "pending";
    return { index, task: taskName(entry), status, ...(typeof condition === "string" ? { condition } : {}) };
  });
  const name = field(field(document, "metadata"), "name");
  const startTime = field(result, "startTime");
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    name: typeof name === "string" ? name : basename(path),
    completed: done === spec.length && !failed,
    failure,
    incomplete: false,
    startTime: typeof startTime === "string" ? startTime : "",
    numCompletedTasks: done,
    versions,
    metrics,
    metricsInfo: metricsInfoOf(insights),
    slos: slosOf(insights, versions, metrics),
    tasks,
    histograms: {},
    source: path,
  };
}
