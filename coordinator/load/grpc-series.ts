/**
 * The grpc task's SeriesSpec: a series per version (or per endpoint of a version) whose target is
 * the resolved GrpcCall (grpc-resolve.ts), ShardSpec fields where a non-OK status is an error
 * (status codes are what the engine records per call: 0 = OK), and Iter8's `grpc/…` metrics plus
 * Assay's status counts and open-model extras.
 */
import { histogramToBase64, percentileMs } from "../../core/index.js";
import type { GrpcCallInit, GrpcTaskSpec, MetricInfo, SeriesHistograms } from "../../core/index.js";
import { percentileSuffix, seriesMetricSink } from "./builtin-metrics.js";
import type { SeriesMetrics } from "./builtin-metrics.js";
import type { SeriesAggregate } from "./merger.js";
import type { PlannedSeries, SeriesMetricOptions, SeriesSpec, ShardOptions } from "./series.js";

/** A grpc series with its call resolved. */
export interface ResolvedGrpcSeries {
  readonly version: string;
  readonly endpoint: string;
  readonly call: GrpcCallInit;
  /** An endpoint's own load, when it wrote one. */
  readonly load: PlannedSeries["load"];
}

/** The SeriesSpec of one grpc run, over series whose calls are already resolved. */
export function grpcSeriesSpec(resolved: readonly ResolvedGrpcSeries[]): SeriesSpec<GrpcTaskSpec> {
  const planned: PlannedSeries[] = resolved.map((item) => ({
    version: item.version,
    endpoint: item.endpoint,
    target: { grpc: item.call },
    ...(item.load ? { load: item.load } : {}),
  }));
  return { protocol: "grpc", series: () => planned, shardOptions: grpcShardOptions, metrics: computeGrpcSeriesMetrics };
}

function grpcShardOptions(spec: GrpcTaskSpec): ShardOptions {
  return {
    requestTimeoutMs: spec.timeoutMs,
    insecureSkipVerify: spec.tls.skipVerify,
    followRedirects: false,
    maxRedirects: 0,
    // Every status but OK (0) is an error: the range [1, open).
    errorRanges: [{ lower: 1, upper: 0 }],
  };
}

/** gRPC status code names (google.rpc.Code), by code. */
export const GRPC_STATUS_NAMES: readonly string[] = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

export function grpcMetricPrefix(endpoint: string): string {
  return endpoint === "" ? "grpc" : `grpc-${endpoint}`;
}

const MS = "msec";

/** Iter8's grpc metrics of one merged series (names as Iter8 v0.9+), with Assay's extras. */
export function computeGrpcSeriesMetrics(aggregate: SeriesAggregate, options: SeriesMetricOptions): SeriesMetrics {
  const prefix = grpcMetricPrefix(aggregate.endpoint);
  const { values, info, samples, put } = seriesMetricSink(prefix);
  const { requests, errors } = aggregate.counts;
  put("request-count", requests, { type: "counter", description: "number of gRPC calls made and completed (warm-up and skipFirst excluded)" });
  put("error-count", errors, { type: "counter", description: "number of calls that ended with a non-OK status or a transport failure" });
  put("error-rate", requests > 0 ? errors / requests : undefined, { type: "gauge", description: "fraction of calls that were errors" });
  if (requests > 0) samples[`${prefix}/error-rate`] = { type: "rate", successes: errors, trials: requests };
  for (const [code, count] of [...aggregate.statusCodes].sort((a, b) => a[0] - b[0])) {
    put(`status-count/${GRPC_STATUS_NAMES[code] ?? `CODE_${code}`}`, count, { type: "counter", description: `number of calls that ended with status ${GRPC_STATUS_NAMES[code] ?? code} (${code})` });
  }

  const meanUs = requests > 0 ? aggregate.latencySumUs / requests : undefined;
  const varianceUs2 = meanUs !== undefined ? Math.max(0, aggregate.latencySumSqUs / requests - meanUs * meanUs) : undefined;
  const latencyWhat = options.openModel ? "from the intended send time (corrected for coordinated omission)" : "from the start of the call";
  put("latency/mean", meanUs === undefined ? undefined : meanUs / 1000, { units: MS, type: "gauge", description: `mean latency of a call, ${latencyWhat}` });
  put("latency/stddev", varianceUs2 === undefined ? undefined : Math.sqrt(varianceUs2) / 1000, { units: MS, type: "gauge", description: "standard deviation of latency" });
  put("latency/min", requests > 0 ? aggregate.latencyMinUs / 1000 : undefined, { units: MS, type: "gauge", description: "minimum latency" });
  put("latency/max", requests > 0 ? aggregate.latencyMaxUs / 1000 : undefined, { units: MS, type: "gauge", description: "maximum latency" });
  if (requests > 0) samples[`${prefix}/latency/mean`] = { type: "mean", count: requests, sum: aggregate.latencySumUs / 1000, sumOfSquares: aggregate.latencySumSqUs / 1e6 };
  const latencyBase64 = histogramToBase64(aggregate.latency);
  for (const percentile of options.percentiles) {
    const name = `latency/${percentileSuffix(percentile)}`;
    put(name, percentileMs(aggregate.latency, percentile), { units: MS, type: "gauge", description: `${percentile}th percentile of latency, ${latencyWhat}` });
    if (aggregate.latency.totalCount > 0) samples[`${prefix}/${name}`] = { type: "histogram", histogram: latencyBase64 };
  }
  const seconds = options.durationMs / 1000;
  put("throughput", seconds > 0 ? requests / seconds : undefined, { units: "calls/sec", type: "gauge", description: "achieved calls per second" });

  const histograms: SeriesHistograms = { latency: latencyBase64 };
  if (options.openModel) openModelMetrics(aggregate, options, put, histograms);
  return { prefix, values, info, samples, histograms };
}

function openModelMetrics(
  aggregate: SeriesAggregate,
  options: SeriesMetricOptions,
  put: (name: string, value: number | undefined, info: MetricInfo) => void,
  histograms: SeriesHistograms,
): void {
  put("dropped-count", aggregate.counts.dropped, { type: "counter", description: "open model: calls not made because every slot of the concurrency was busy too long (queue full)" });
  const serviceTime = aggregate.serviceTime;
  if (serviceTime) {
    put("service-time/mean", serviceTime.totalCount > 0 ? serviceTime.mean / 1000 : undefined, { units: MS, type: "gauge", description: "mean service time, from the actual start of the call" });
    for (const percentile of options.percentiles) {
      put(`service-time/${percentileSuffix(percentile)}`, percentileMs(serviceTime, percentile), { units: MS, type: "gauge", description: `${percentile}th percentile of service time` });
    }
    histograms.serviceTime = histogramToBase64(serviceTime);
  }
  const lag = aggregate.scheduleLag;
  if (lag) {
    put("schedule-lag/p99", percentileMs(lag, 99), { units: MS, type: "gauge", description: "99th percentile of how late calls were started versus their intended time" });
    histograms.scheduleLag = histogramToBase64(lag);
  }
}
