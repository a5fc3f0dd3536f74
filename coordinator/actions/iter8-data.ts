/**
 * Iter8's view of a result, as the Go structs Iter8 hands its notify templates: `.Report`
 * (v0.13–v0.16), `.Summary` (v0.17 on) and the Experiment / ExperimentResult / Insights inside
 * them. Built as TemplateStructs, so Iter8's published payload templates (`.Report |
 * toPrettyJson`, `.Result.Insights.SLOsSatisfied`) print and serialize what Iter8 would: field
 * order and JSON tags of Iter8's structs, Insights of v0.15 (the richest: SLOs and rewards).
 * Task inputs are left out of `Spec` on purpose: they hold webhook URLs, tokens and headers.
 */
import { TemplateStruct, countAtOrBelow, goTime, histogramFromBase64 } from "../../core/index.js";
import type { ResultDocument , GoTime} from "../../core/index.js";

/** The Iter8 release whose result shape `.Result.Insights` and `Iter8Version` follow. */
export const ITER8_SHAPE_VERSION = "v0.15";

/** Iter8's metric types (base.MetricType). */
const METRIC_TYPES: Readonly<Record<string, string>> = { counter: "Counter", gauge: "Gauge", histogram: "Histogram" };

/** Fortio's latency bucket edges (ms), which Iter8's HistMetricValues come from. */
const BUCKET_EDGES_MS = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100, 120, 140, 160, 180, 200, 250, 300, 350, 400, 450,
  500, 600, 700, 800, 900, 1000, 2000, 3000, 4000, 5000, 7500, 10000, 20000, 30000, 40000, 50000, 60000, 70000, 80000, 90000, 100000,
];

function struct(typeName: string, fields: Record<string, unknown>, tags: Record<string, string>, text?: string): TemplateStruct {
  return new TemplateStruct(typeName, fields, text === undefined ? { tags } : { tags, text });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A field computed when first read (views and histogram buckets are built only if a template asks). */
export function lazy(fields: Record<string, unknown>, name: string, compute: () => unknown): void {
  let cached: { value: unknown } | undefined;
  Object.defineProperty(fields, name, {
    enumerable: true,
    configurable: false,
    get: () => (cached ??= { value: compute() }).value,
  });
}

function histogramBuckets(encoded: string): TemplateStruct[] {
  const histogram = histogramFromBase64(encoded);
  const buckets: TemplateStruct[] = [];
  let below = 0;
  const edges = [...BUCKET_EDGES_MS, Number.POSITIVE_INFINITY];
  for (let i = 1; i < edges.length; i++) {
    const upper = edges[i] ?? Number.POSITIVE_INFINITY;
    const atOrBelow = upper === Number.POSITIVE_INFINITY ? histogram.totalCount : countAtOrBelow(histogram, upper * 1000);
    const count = atOrBelow - below;
    below = atOrBelow;
    if (count <= 0) continue;
    const lower = edges[i - 1] ?? 0;
    const top = upper === Number.POSITIVE_INFINITY ? histogram.maxValue / 1000 : upper;
    buckets.push(struct("base.HistBucket", { Lower: lower, Upper: top, Count: count }, { Lower: "lower", Upper: "upper", Count: "count" }));
    if (below >= histogram.totalCount) break;
  }
  return buckets;
}

function rewardsOf(result: Readonly<ResultDocument>): { max: string[]; min: string[] } {
  const rewards = { max: [] as string[], min: [] as string[] };
  const assessed = result.assessment?.["rewards"];
  if (!isRecord(assessed)) return rewards;
  for (const [metric, entry] of Object.entries(assessed)) {
    if (isRecord(entry) && (entry["direction"] === "max" || entry["direction"] === "min")) rewards[entry["direction"]].push(metric);
  }
  return rewards;
}

/** Iter8's identifyWinner: the index of the version with the best value, -1 when none has one. */
function rewardWinner(result: Readonly<ResultDocument>, metric: string, max: boolean): number {
  let winner = -1;
  let best: number | undefined;
  result.versions.forEach((version, index) => {
    const value = result.metrics[version]?.[metric];
    if (value === undefined) return;
    if (best === undefined || (max && value > best) || (!max && value < best)) {
      best = value;
      winner = index;
    }
  });
  return winner;
}

/** base.Insights (v0.15). */
export function iter8Insights(result: Readonly<ResultDocument>): TemplateStruct {
  const metricsInfo: Record<string, TemplateStruct> = {};
  for (const [name, info] of Object.entries(result.metricsInfo)) {
    metricsInfo[name] = struct(
      "base.MetricMeta",
      { Description: info.description, Units: info.units ?? null, Type: METRIC_TYPES[info.type] ?? info.type },
      { Description: "description", Units: "units,omitempty", Type: "type" },
    );
  }
  // Latency histograms are in result.histograms, not among the metrics: Iter8 lists them too.
  for (const prefix of new Set(result.versions.flatMap((version) => Object.keys(result.histograms[version] ?? {})))) {
    metricsInfo[`${prefix}/latency`] ??= struct(
      "base.MetricMeta",
      { Description: "Latency Histogram", Units: "msec", Type: "Histogram" },
      { Description: "description", Units: "units,omitempty", Type: "type" },
    );
  }
  const isHistogram = (metric: string): boolean => result.metricsInfo[metric]?.type === "histogram";
  const nonHist = result.versions.map((version) => {
    const values: Record<string, number[]> = {};
    for (const [metric, value] of Object.entries(result.metrics[version] ?? {})) if (!isHistogram(metric)) values[metric] = [value];
    return values;
  });
  const slos = { upper: result.slos.filter((slo) => slo.direction === "upper"), lower: result.slos.filter((slo) => slo.direction === "lower") };
  const sloStruct = (direction: "upper" | "lower"): TemplateStruct[] =>
    slos[direction].map((slo) => struct("base.SLO", { Metric: slo.metric, Limit: slo.limit }, { Metric: "metric", Limit: "limit" }));
  const satisfied = (direction: "upper" | "lower"): boolean[][] => slos[direction].map((slo) => result.versions.map((version) => slo.satisfied[version] === true));
  const rewards = rewardsOf(result);
  const hasRewards = rewards.max.length + rewards.min.length > 0;
  const fields: Record<string, unknown> = {
    NumVersions: result.versions.length,
    VersionNames: result.versions.map((version) => struct("base.VersionInfo", { Version: version, Track: "" }, { Version: "version", Track: "track" })),
    MetricsInfo: Object.keys(metricsInfo).length > 0 ? metricsInfo : null,
    NonHistMetricValues: nonHist.some((values) => Object.keys(values).length > 0) ? nonHist : null,
  };
  lazy(fields, "HistMetricValues", () => {
    const perVersion = result.versions.map((version) => {
      const values: Record<string, TemplateStruct[]> = {};
      for (const [prefix, histograms] of Object.entries(result.histograms[version] ?? {})) {
        if (histograms.latency) values[`${prefix}/latency`] = histogramBuckets(histograms.latency);
      }
      return values;
    });
    return perVersion.some((values) => Object.keys(values).length > 0) ? perVersion : null;
  });
  Object.assign(fields, {
    SummaryMetricValues: null,
    SLOs: result.slos.length > 0 ? struct("base.SLOLimits", { Upper: sloStruct("upper"), Lower: sloStruct("lower") }, { Upper: "upper,omitempty", Lower: "lower,omitempty" }) : null,
    SLOsSatisfied:
      result.slos.length > 0 ? struct("base.SLOResults", { Upper: satisfied("upper"), Lower: satisfied("lower") }, { Upper: "upper,omitempty", Lower: "lower,omitempty" }) : null,
    Rewards: hasRewards ? struct("base.Rewards", { Max: rewards.max, Min: rewards.min }, { Max: "max,omitempty", Min: "min,omitempty" }) : null,
    RewardsWinners: hasRewards
      ? struct(
          "base.RewardsWinners",
          { Max: rewards.max.map((metric) => rewardWinner(result, metric, true)), Min: rewards.min.map((metric) => rewardWinner(result, metric, false)) },
          { Max: "max,omitempty", Min: "min,omitempty" },
        )
      : null,
  });
  return struct("base.Insights", fields, {
    NumVersions: "numVersions",
    VersionNames: "versionNames",
    MetricsInfo: "metricsInfo,omitempty",
    NonHistMetricValues: "nonHistMetricValues,omitempty",
    HistMetricValues: "histMetricValues,omitempty",
    SLOs: "SLOs,omitempty",
    SLOsSatisfied: "SLOsSatisfied,omitempty",
    Rewards: "rewards,omitempty",
    RewardsWinners: "rewardsWinners,omitempty",
  });
}

/** Iter8's `Failure`: a task failed or the experiment did not get through. */
export function iter8Failure(result: Readonly<ResultDocument>): boolean {
  return result.failure !== null || result.tasks.some((task) => task.status === "failed");
}

/** Iter8's NumLoops: the result's loop count when it has one, else 1. */
export function numLoops(result: Readonly<ResultDocument>): number {
  const loops = (result as unknown as Record<string, unknown>)["numLoops"];
  return typeof loops === "number" ? loops : 1;
}

/** base.ExperimentResult. */
export function iter8Result(result: Readonly<ResultDocument>, namespace: string, insights: TemplateStruct): TemplateStruct {
  return struct(
    "base.ExperimentResult",
    {
      Name: result.name,
      Namespace: namespace,
      Revision: 0,
      StartTime: startTime(result),
      NumLoops: numLoops(result),
      NumCompletedTasks: result.numCompletedTasks,
      Failure: iter8Failure(result),
      Insights: insights,
      Iter8Version: ITER8_SHAPE_VERSION,
    },
    {
      Name: "name,omitempty",
      Namespace: "namespace,omitempty",
      Revision: "revision,omitempty",
      StartTime: "startTime",
      NumLoops: "numLoops",
      NumCompletedTasks: "numCompletedTasks",
      Failure: "failure",
      Insights: "insights,omitempty",
      Iter8Version: "iter8Version",
    },
  );
}

function startTime(result: Readonly<ResultDocument>): GoTime {
  const ms = Date.parse(result.startTime);
  return goTime(Number.isFinite(ms) ? ms : 0);
}

function metadata(result: Readonly<ResultDocument>, namespace: string): TemplateStruct {
  return struct("base.ExperimentMetadata", { Name: result.name, Namespace: namespace }, { Name: "name", Namespace: "namespace" });
}

/** base.Experiment: metadata, the task list (names and conditions only) and the result. */
export function iter8Experiment(result: Readonly<ResultDocument>, namespace: string, iter8: TemplateStruct): TemplateStruct {
  const spec = result.tasks.map((task) =>
    struct("base.TaskMeta", { Task: task.writtenName ?? task.task, Run: null, If: task.condition ?? null }, { Task: "task,omitempty", Run: "run,omitempty", If: "if,omitempty" }),
  );
  return struct("base.Experiment", { Metadata: metadata(result, namespace), Spec: spec, Result: iter8 }, { Metadata: "metadata", Spec: "spec", Result: "result" });
}

/** What both notify payload shapes share. */
function summaryFields(result: Readonly<ResultDocument>, timeStamp: string): Record<string, unknown> {
  return {
    TimeStamp: timeStamp,
    Completed: result.completed,
    NoTaskFailures: !iter8Failure(result),
    NumTasks: result.tasks.length,
    NumCompletedTasks: result.numCompletedTasks,
  };
}

const SUMMARY_TAGS = { TimeStamp: "timeStamp", Completed: "completed", NoTaskFailures: "noTaskFailures", NumTasks: "numTasks", NumCompletedTasks: "numCompletedTasks" };

/** base.Report (Iter8 v0.13–v0.16's `.Report`). */
export function iter8Report(result: Readonly<ResultDocument>, timeStamp: string, experiment: TemplateStruct): TemplateStruct {
  return struct(
    "base.Report",
    { ...summaryFields(result, timeStamp), NumLoops: numLoops(result), Experiment: experiment },
    { ...SUMMARY_TAGS, NumLoops: "numLoops", Experiment: "experiment" },
  );
}

/** base.Summary (Iter8 v0.17 on `.Summary`): prints as `text` (Assay's summary), serializes as Iter8's. */
export function iter8Summary(result: Readonly<ResultDocument>, timeStamp: string, namespace: string, text: string): TemplateStruct {
  const experiment = struct("base.Experiment", { Metadata: metadata(result, namespace), Spec: null, Result: null }, { Metadata: "metadata", Spec: "spec", Result: "result" });
  return struct("base.Summary", { ...summaryFields(result, timeStamp), Experiment: experiment }, { ...SUMMARY_TAGS, Experiment: "experiment" }, text);
}
