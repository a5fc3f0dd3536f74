/**
 * The checks that need the whole experiment: an SLO or reward on a built-in metric that no load
 * task of the experiment produces is an error at parse time (naming close matches), not a
 * "missing" value after the load ran; and every latency percentile an SLO or reward names is added
 * to the percentiles of the load task that produces it, so the coordinator computes it from the
 * merged histogram even when the task's `percentiles` list lacks it.
 */
import { ErrorCode } from "../errors.js";
import type { MetricRef, ParseContext } from "./fields.js";
import { ITER8_V08_METRIC_NAMES, grpcSeriesMetrics, httpSeriesMetrics, isBuiltInMetric, latencyPercentile, producedBy } from "./metric-names.js";
import type { SeriesMetricNames } from "./metric-names.js";
import { TaskName, endpointNames } from "./model.js";
import type { GrpcTaskSpec, HttpEndpointSpec, HttpTaskSpec, HttpVersionSpec, TaskEntry } from "./model.js";
import { closest, shorten } from "./problems.js";

interface Series {
  readonly taskIndex: number;
  /** Endpoint name; "" for a task without endpoints. */
  readonly endpoint: string;
  readonly names: SeriesMetricNames;
  readonly warmup: boolean;
}

/**
 * Reports metrics that can never exist (EXPERIMENT_UNKNOWN_METRIC) and returns the tasks with the
 * named percentiles added to their http load tasks.
 */
export function checkMetricRefs(ctx: ParseContext, tasks: readonly TaskEntry[]): TaskEntry[] {
  const series = tasks.flatMap(seriesOf);
  const live = series.filter((s) => !s.warmup);
  const custom = customProviders(tasks);
  const extra = new Map<number, Map<string, Set<number>>>();
  for (const ref of ctx.metricRefs) {
    if (!isBuiltInMetric(ref.metric) || custom.has(providerOf(ref.metric))) continue;
    const producers = live.filter((s) => producedBy(ref.metric, s.names));
    if (producers.length === 0) {
      ctx.problems.report(ErrorCode.UnknownMetric, ref.anchor, ref.field, unknownMetricMessage(ref, live, series));
      continue;
    }
    const percentile = latencyPercentile(ref.metric);
    if (percentile === undefined) continue;
    for (const producer of producers) {
      const byEndpoint = extra.get(producer.taskIndex) ?? new Map<string, Set<number>>();
      extra.set(producer.taskIndex, byEndpoint);
      const set = byEndpoint.get(producer.endpoint) ?? new Set<number>();
      byEndpoint.set(producer.endpoint, set.add(percentile.percentile));
    }
  }
  return tasks.map((entry) => {
    const wanted = extra.get(entry.index);
    if (wanted === undefined) return entry;
    if (entry.spec.task === TaskName.Grpc) return { ...entry, spec: withGrpcPercentiles(entry.spec, wanted) };
    if (entry.spec.task !== TaskName.Http) return entry;
    return { ...entry, spec: withPercentiles(entry.spec, wanted) };
  });
}

function providerOf(metric: string): string {
  const slash = metric.indexOf("/");
  return slash < 0 ? metric : metric.slice(0, slash);
}

function seriesOf(entry: TaskEntry): Series[] {
  const spec = entry.spec;
  if (spec.task === TaskName.Grpc) {
    const open = (load: { loadModel: string }): boolean => load.loadModel === "open";
    if (spec.endpointOrder.length === 0) return [{ taskIndex: entry.index, endpoint: "", names: grpcSeriesMetrics("grpc", open(spec)), warmup: spec.warmup }];
    return spec.endpointOrder.map((name) => {
      const load = spec.versions[0]?.endpoints[name]?.load ?? spec;
      return { taskIndex: entry.index, endpoint: name, names: grpcSeriesMetrics(`grpc-${name}`, open(load)), warmup: spec.warmup };
    });
  }
  if (spec.task !== TaskName.Http) return [];
  if (endpointNames(spec).length === 0) {
    return [{ taskIndex: entry.index, endpoint: "", names: httpSeriesMetrics("http", spec.percentiles, spec.loadModel === "open"), warmup: spec.warmup ?? false }];
  }
  const first = spec.versions[0];
  return endpointNames(spec).map((name) => {
    const load = first?.endpoints[name]?.load ?? spec;
    return { taskIndex: entry.index, endpoint: name, names: httpSeriesMetrics(`http-${name}`, load.percentiles, load.loadModel === "open"), warmup: spec.warmup ?? false };
  });
}

/** Provider names of the experiment's custommetrics tasks (`templates` keys, `providers[].name`). */
function customProviders(tasks: readonly TaskEntry[]): Set<string> {
  const names = new Set<string>();
  for (const { spec } of tasks) {
    if (spec.task !== TaskName.CustomMetrics) continue;
    for (const [key, value] of Object.entries(spec.raw)) {
      const field = key.toLowerCase();
      if (field === "templates" && typeof value === "object" && value !== null) for (const name of Object.keys(value)) names.add(name);
      if (field === "providers" && Array.isArray(value)) {
        for (const provider of value as unknown[]) {
          const name = typeof provider === "object" && provider !== null ? (provider as Record<string, unknown>)["name"] : undefined;
          if (typeof name === "string") names.add(name);
        }
      }
    }
  }
  return names;
}

/** v0.8 built-in names sharing the written name's stem (`built-in/http-latency-average` -> the `http-latency-…` ones). */
function builtInKin(name: string): string[] {
  const stem = name.slice("built-in/".length).split("-").slice(0, -1).join("-");
  if (stem === "") return [];
  return Object.keys(ITER8_V08_METRIC_NAMES).filter((known) => known.startsWith(`built-in/${stem}-`));
}

function unknownMetricMessage(ref: MetricRef, live: readonly Series[], all: readonly Series[]): string {
  const written = ref.written === ref.metric ? JSON.stringify(shorten(ref.metric)) : `${JSON.stringify(shorten(ref.written))} (${shorten(ref.metric)})`;
  const prefix = providerOf(ref.metric);
  const rest = ref.metric.slice(prefix.length + 1);
  // The same metric under another prefix (http/ vs http-<endpoint>/) is the likeliest meaning.
  const samePrefixFamily = live.filter((s) => s.names.prefix.split("-")[0] === prefix.split("-")[0]);
  const moved = samePrefixFamily.map((s) => `${s.names.prefix}/${rest}`).find((name) => live.some((s) => producedBy(name, s.names)));
  const candidates = live.flatMap((s) => s.names.scalars.map((name) => `${s.names.prefix}/${name}`));
  const guess = moved ?? closest(ref.metric, candidates);
  const hint = guess === undefined ? "" : ` (did you mean "${guess}"?)`;
  if (ref.metric.startsWith("built-in/")) {
    const kin = builtInKin(ref.metric);
    const listed = kin.length > 0 ? ` (built-in names of the same family: ${kin.join(", ")})` : "";
    return `${written} is not one of Iter8 v0.8's built-in metrics${guess === undefined ? listed : hint}; today's names are http/... and grpc/... (docs/experiments.md)`;
  }
  const ofPrefix = live.filter((s) => s.names.prefix === prefix);
  if (ofPrefix.some((s) => s.names.histogram !== undefined && ref.metric === `${prefix}/${s.names.histogram}`)) {
    return `${written} is the latency histogram, not a number an SLO can compare; use ${prefix}/latency-mean or a percentile such as ${prefix}/latency-p95`;
  }
  if (ofPrefix.length > 0) return `the load tasks of this experiment produce no metric ${written}${hint}`;
  if (all.some((s) => s.names.prefix === prefix)) return `${written} would only be produced by a warmup task, whose results are discarded${hint}`;
  const producers = live.length === 0 ? "this experiment has no load task (http or grpc) to produce it" : `no task of this experiment produces ${prefix}/ metrics${hint}`;
  const endpoints = live.some((s) => s.endpoint !== "") && prefix === "http" ? "; with endpoints, the http task names its metrics http-<endpoint>/..." : "";
  return `${written}: ${producers}${endpoints}`;
}

function withPercentiles(spec: HttpTaskSpec, wanted: ReadonlyMap<string, ReadonlySet<number>>): HttpTaskSpec {
  const all = new Set<number>(spec.percentiles);
  for (const set of wanted.values()) for (const p of set) all.add(p);
  const merge = (list: readonly number[], add: ReadonlySet<number> | undefined): number[] => [...new Set([...list, ...(add ?? [])])].sort((a, b) => a - b);
  const versions = spec.versions.map((version): HttpVersionSpec => {
    const endpoints: Record<string, HttpEndpointSpec> = {};
    for (const name of endpointNames(spec)) {
      const endpoint = version.endpoints[name];
      if (endpoint === undefined) continue;
      Object.defineProperty(endpoints, name, {
        value: { ...endpoint, load: { ...endpoint.load, percentiles: merge(endpoint.load.percentiles, wanted.get(name)) } },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return { ...version, endpoints };
  });
  return { ...spec, percentiles: merge([...all], undefined), versions };
}

/** A grpc task computes every percentile named for any of its series (percentiles are task-wide). */
function withGrpcPercentiles(spec: GrpcTaskSpec, wanted: ReadonlyMap<string, ReadonlySet<number>>): GrpcTaskSpec {
  const all = new Set<number>(spec.percentiles);
  for (const set of wanted.values()) for (const p of set) all.add(p);
  return { ...spec, percentiles: [...all].sort((a, b) => a - b) };
}
