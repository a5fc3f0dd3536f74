/**
 * Metric names as Iter8 writes them, in every version since v0.8, mapped to the one name Assay
 * records. Iter8 parses the percentile of a latency metric as a number (its NormalizeMetricName),
 * so `http/latency-p95.0`, `http/latency-p95` and `http/latency-p9.5e1` are one metric; Iter8 v0.8
 * named the same metrics `built-in/...`. The parser stores SLO and reward metrics in canonical
 * form, and everything that looks a metric up by a name a user wrote goes through
 * canonicalMetricName, so an SLO written in any of these forms finds the metric the load task
 * recorded, and the result reports the canonical name.
 */

/**
 * Iter8 v0.8's built-in names that are not percentiles, to today's. v0.8.0–v0.8.28 (task
 * `gen-load-and-collect-metrics`) had the short names, v0.8.29–v0.8.34 (tasks
 * `gen-load-and-collect-metrics-http` and `-grpc`) the `http-`/`grpc-` ones.
 */
export const ITER8_V08_METRIC_NAMES: Readonly<Record<string, string>> = {
  "built-in/request-count": "http/request-count",
  "built-in/error-count": "http/error-count",
  "built-in/error-rate": "http/error-rate",
  "built-in/mean-latency": "http/latency-mean",
  "built-in/stddev-latency": "http/latency-stddev",
  "built-in/min-latency": "http/latency-min",
  "built-in/max-latency": "http/latency-max",
  "built-in/latency": "http/latency",
  "built-in/http-request-count": "http/request-count",
  "built-in/http-error-count": "http/error-count",
  "built-in/http-error-rate": "http/error-rate",
  "built-in/http-latency-mean": "http/latency-mean",
  "built-in/http-latency-stddev": "http/latency-stddev",
  "built-in/http-latency-min": "http/latency-min",
  "built-in/http-latency-max": "http/latency-max",
  "built-in/http-latency": "http/latency",
  "built-in/grpc-request-count": "grpc/request-count",
  "built-in/grpc-error-count": "grpc/error-count",
  "built-in/grpc-error-rate": "grpc/error-rate",
};

/** Go's strconv.ParseFloat forms Iter8 meets in practice: `95`, `95.0`, `.5`, `9.5e1`. */
const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
/** `http`, `http-<endpoint>`, `grpc`, `grpc-<endpoint>`: the providers of built-in metrics. */
const BUILT_IN_PROVIDER = /^(?:http|grpc)(?:-[^/]+)?$/;

const V08_HTTP_PERCENTILE = new RegExp(`^built-in/(?:http-latency-)?p(${NUMBER})$`);
const V08_GRPC_LATENCY = /^built-in\/grpc-latency\/(.+)$/;
const HTTP_PERCENTILE = new RegExp(`^(http(?:-[^/]+)?)/(latency|service-time)-p(${NUMBER})$`);
const GRPC_PERCENTILE = new RegExp(`^(grpc(?:-[^/]+)?)/(latency|service-time)/p(${NUMBER})$`);
const GRPC_DASHED = /^(grpc(?:-[^/]+)?)\/(latency|service-time)-(mean|stddev|min|max|p.+)$/;
const GRPC_STATUS_COUNT = /^status-count\/[A-Z_]+$/;

/**
 * A percentile as it appears in a metric name: `95` -> "95", `99.90` -> "99.9", `97.5` -> "97.5"
 * (at most six decimals; the load task names its percentiles the same way).
 */
export function formatPercentile(percentile: number): string {
  return String(Number(percentile.toFixed(6)));
}

/** The percentile a name like `95.0` stands for, if it is one in (0, 100]. */
function percentileOf(text: string): number | undefined {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 && value <= 100 ? Number(value.toFixed(6)) : undefined;
}

/**
 * The canonical name of a metric: Iter8 v0.8 names mapped to today's, percentiles written as
 * numbers (`http/latency-p50.0` -> `http/latency-p50`, `p99.90` -> `p99.9`, also for
 * `http-<endpoint>/` and Assay's `service-time-pX`), gRPC latency as Iter8 v0.9+ names it
 * (`grpc/latency/p95`; `grpc/latency-p95` and `grpc/latency-mean` accepted). Any other name is
 * returned unchanged (custom metrics are `<provider>/<metric>`, taken as written).
 */
export function canonicalMetricName(name: string): string {
  const mapped = Object.hasOwn(ITER8_V08_METRIC_NAMES, name) ? ITER8_V08_METRIC_NAMES[name] : undefined;
  if (mapped !== undefined) return mapped;
  let metric = name;
  const v08Percentile = V08_HTTP_PERCENTILE.exec(metric);
  if (v08Percentile) metric = `http/latency-p${v08Percentile[1] ?? ""}`;
  const v08Grpc = V08_GRPC_LATENCY.exec(metric);
  if (v08Grpc) metric = `grpc/latency/${v08Grpc[1] ?? ""}`;
  const dashed = GRPC_DASHED.exec(metric);
  if (dashed) metric = `${dashed[1] ?? "grpc"}/${dashed[2] ?? "latency"}/${dashed[3] ?? ""}`;

  const http = HTTP_PERCENTILE.exec(metric);
  if (http) {
    const percentile = percentileOf(http[3] ?? "");
    return percentile === undefined ? metric : `${http[1] ?? "http"}/${http[2] ?? "latency"}-p${formatPercentile(percentile)}`;
  }
  const grpc = GRPC_PERCENTILE.exec(metric);
  if (grpc) {
    const percentile = percentileOf(grpc[3] ?? "");
    return percentile === undefined ? metric : `${grpc[1] ?? "grpc"}/${grpc[2] ?? "latency"}/p${formatPercentile(percentile)}`;
  }
  return metric;
}

/** True for a name whose provider is `http`, `http-<endpoint>`, `grpc`, `grpc-<endpoint>` or Iter8 v0.8's `built-in`. */
export function isBuiltInMetric(name: string): boolean {
  const slash = name.indexOf("/");
  const provider = slash < 0 ? name : name.slice(0, slash);
  return provider === "built-in" || BUILT_IN_PROVIDER.test(provider);
}

/** The percentile of a canonical latency-percentile name (`http/latency-p95` -> 95), and what it is of. */
export function latencyPercentile(name: string): { readonly prefix: string; readonly of: "latency" | "service-time"; readonly percentile: number } | undefined {
  const http = HTTP_PERCENTILE.exec(name);
  if (http) {
    const percentile = percentileOf(http[3] ?? "");
    return percentile === undefined ? undefined : { prefix: http[1] ?? "http", of: http[2] === "service-time" ? "service-time" : "latency", percentile };
  }
  const grpc = GRPC_PERCENTILE.exec(name);
  if (grpc) {
    const percentile = percentileOf(grpc[3] ?? "");
    return percentile === undefined ? undefined : { prefix: grpc[1] ?? "grpc", of: grpc[2] === "service-time" ? "service-time" : "latency", percentile };
  }
  return undefined;
}

/** What an http load task records for each series prefix (builtin-metrics in the coordinator). */
const HTTP_SCALARS = ["request-count", "error-count", "error-rate", "latency-mean", "latency-stddev", "latency-min", "latency-max", "throughput"] as const;
const HTTP_OPEN_MODEL_SCALARS = ["dropped-count", "service-time-mean", "schedule-lag-p99"] as const;
const GRPC_SCALARS = ["request-count", "error-count", "error-rate", "latency/mean", "latency/stddev", "latency/min", "latency/max", "throughput"] as const;
const GRPC_OPEN_MODEL_SCALARS = ["dropped-count", "service-time/mean", "schedule-lag/p99"] as const;

/** The metrics one series prefix of a load task produces. */
export interface SeriesMetricNames {
  /** `http`, `http-<endpoint>` or `grpc`. */
  readonly prefix: string;
  /** Scalar metrics without the prefix (`error-rate`, `latency-p95`, ...), percentiles as listed. */
  readonly scalars: readonly string[];
  /** The histogram (`latency`), not a number an SLO can compare. */
  readonly histogram: string | undefined;
  /** Latency percentiles of any value are available (computed from the merged histogram). */
  readonly anyPercentile: "latency" | "latency-and-service-time" | "grpc" | "grpc-open";
}

/** The metric names an http series produces (`openModel`: Assay's extra open-model metrics). */
export function httpSeriesMetrics(prefix: string, percentiles: readonly number[], openModel: boolean): SeriesMetricNames {
  const listed = percentiles.map((p) => `latency-p${formatPercentile(p)}`);
  const serviceTime = openModel ? percentiles.map((p) => `service-time-p${formatPercentile(p)}`) : [];
  return {
    prefix,
    scalars: [...HTTP_SCALARS, ...listed, ...(openModel ? HTTP_OPEN_MODEL_SCALARS : []), ...serviceTime],
    histogram: "latency",
    anyPercentile: openModel ? "latency-and-service-time" : "latency",
  };
}

/**
 * The metric names a grpc series produces: Iter8's, plus `status-count/<CODE_NAME>` for every
 * status seen and, in the open model, Assay's `dropped-count`, `service-time/...` and
 * `schedule-lag/p99`.
 */
export function grpcSeriesMetrics(prefix = "grpc", openModel = false): SeriesMetricNames {
  const listed = [50, 75, 90, 95, 99, 99.9].map((p) => `latency/p${formatPercentile(p)}`);
  return { prefix, scalars: [...GRPC_SCALARS, ...listed, ...(openModel ? GRPC_OPEN_MODEL_SCALARS : [])], histogram: undefined, anyPercentile: openModel ? "grpc-open" : "grpc" };
}

/**
 * Whether `name` (canonical) is produced by `series`: a listed scalar, or a latency percentile of
 * any value (the load task computes every percentile an SLO names).
 */
export function producedBy(name: string, series: SeriesMetricNames): boolean {
  const slash = name.indexOf("/");
  if (slash < 0 || name.slice(0, slash) !== series.prefix) return false;
  const rest = name.slice(slash + 1);
  if (series.scalars.includes(rest)) return true;
  if (series.anyPercentile === "grpc" || series.anyPercentile === "grpc-open") {
    if (GRPC_STATUS_COUNT.test(rest)) return true;
    const grpc = GRPC_PERCENTILE.exec(name);
    return grpc !== null && canonicalMetricName(name) === name && (grpc[2] === "latency" || series.anyPercentile === "grpc-open");
  }
  const percentile = latencyPercentile(name);
  if (percentile === undefined) return false;
  return percentile.of === "latency" || series.anyPercentile === "latency-and-service-time";
}
