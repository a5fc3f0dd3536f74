/**
 * Iter8's built-in HTTP metrics (EXPERIMENT.md), computed from merged aggregates. Latency is in
 * milliseconds; percentiles come from the merged HDR histogram; mean, stddev, min and max from the
 * exact moments the agents carry.
 */
import { histogramToBase64, percentileMs } from "../../core/index.js";
import type { MetricInfo, MetricSample, SeriesHistograms } from "../../core/index.js";
import type { SeriesAggregate } from "./merger.js";

export interface SeriesMetrics {
  /** "http" or "http-<endpoint>". */
  prefix: string;
  values: Record<string, number>;
  info: Record<string, MetricInfo>;
  samples: Record<string, MetricSample>;
  histograms: SeriesHistograms;
}

/** `99.9` -> "p99.9", `50` -> "p50". */
export function percentileSuffix(percentile: number): string {
  return `p${Number(percentile.toFixed(6))}`;
}

export function metricPrefix(endpoint: string): string {
  return endpoint === "" ? "http" : `http-${endpoint}`;
}

const MS = "msec";

/** Where a series' metrics are collected: `put` records a value (finite only) and its info under `<prefix>/<name>`. */
export function seriesMetricSink(prefix: string): {
  readonly values: Record<string, number>;
  readonly info: Record<string, MetricInfo>;
  readonly samples: Record<string, MetricSample>;
  readonly put: (name: string, value: number | undefined, metricInfo: MetricInfo) => void;
} {
  const values: Record<string, number> = {};
  const info: Record<string, MetricInfo> = {};
  const samples: Record<string, MetricSample> = {};
  const put = (name: string, value: number | undefined, metricInfo: MetricInfo): void => {
    const full = `${prefix}/${name}`;
    info[full] = metricInfo;
    if (value !== undefined && Number.isFinite(value)) values[full] = value;
  };
  return { values, info, samples, put };
}

export function computeSeriesMetrics(
  aggregate: SeriesAggregate,
  options: { percentiles: readonly number[]; durationMs: number; openModel: boolean },
): SeriesMetrics {
  const prefix = metricPrefix(aggregate.endpoint);
  const { values, info, samples, put } = seriesMetricSink(prefix);
  const { requests, errors, dropped } = aggregate.counts;

  put("request-count", requests, { type: "counter", description: "number of requests sent and completed (warm-up excluded)" });
  put("error-count", errors, { type: "counter", description: "number of responses counted as errors, plus connection failures and timeouts" });
  put("error-rate", requests > 0 ? errors / requests : undefined, { type: "gauge", description: "fraction of requests that were errors" });
  if (requests > 0) samples[`${prefix}/error-rate`] = { type: "rate", successes: errors, trials: requests };

  const meanUs = requests > 0 ? aggregate.latencySumUs / requests : undefined;
  const varianceUs2 = requests > 0 && meanUs !== undefined ? Math.max(0, aggregate.latencySumSqUs / requests - meanUs * meanUs) : undefined;
  const latencyWhat = options.openModel ? "from the intended send time (corrected for coordinated omission)" : "from the actual send";
  put("latency-mean", meanUs === undefined ? undefined : meanUs / 1000, { units: MS, type: "gauge", description: `mean latency, ${latencyWhat}` });
  put("latency-stddev", varianceUs2 === undefined ? undefined : Math.sqrt(varianceUs2) / 1000, { units: MS, type: "gauge", description: "standard deviation of latency" });
  put("latency-min", requests > 0 ? aggregate.latencyMinUs / 1000 : undefined, { units: MS, type: "gauge", description: "minimum latency" });
  put("latency-max", requests > 0 ? aggregate.latencyMaxUs / 1000 : undefined, { units: MS, type: "gauge", description: "maximum latency" });
  if (requests > 0) {
    samples[`${prefix}/latency-mean`] = {
      type: "mean",
      count: requests,
      sum: aggregate.latencySumUs / 1000,
      sumOfSquares: aggregate.latencySumSqUs / 1e6,
    };
  }
  const latencyBase64 = histogramToBase64(aggregate.latency);
  for (const percentile of options.percentiles) {
    const name = `latency-${percentileSuffix(percentile)}`;
    put(name, percentileMs(aggregate.latency, percentile), { units: MS, type: "gauge", description: `${percentile}th percentile of latency, ${latencyWhat}` });
    if (aggregate.latency.totalCount > 0) samples[`${prefix}/${name}`] = { type: "histogram", histogram: latencyBase64 };
  }
  info[`${prefix}/latency`] = { units: MS, type: "histogram", description: "latency histogram (HdrHistogram, in result.histograms)" };

  const seconds = options.durationMs / 1000;
  put("throughput", seconds > 0 ? requests / seconds : undefined, { units: "requests/sec", type: "gauge", description: "achieved requests per second" });

  const histograms: SeriesHistograms = { latency: latencyBase64 };
  if (options.openModel) {
    put("dropped-count", dropped, { type: "counter", description: "open model: requests not sent because no connection was free in time (queue full)" });
    const serviceTime = aggregate.serviceTime;
    if (serviceTime) {
      put("service-time-mean", serviceTime.totalCount > 0 ? serviceTime.mean / 1000 : undefined, { units: MS, type: "gauge", description: "mean service time, from the actual send" });
      for (const percentile of options.percentiles) {
        put(`service-time-${percentileSuffix(percentile)}`, percentileMs(serviceTime, percentile), {
          units: MS,
          type: "gauge",
          description: `${percentile}th percentile of service time, from the actual send`,
        });
      }
      histograms.serviceTime = histogramToBase64(serviceTime);
    }
    const lag = aggregate.scheduleLag;
    if (lag) {
      put("schedule-lag-p99", percentileMs(lag, 99), { units: MS, type: "gauge", description: "99th percentile of how late requests were sent versus their intended time" });
      histograms.scheduleLag = histogramToBase64(lag);
    }
  }
  return { prefix, values, info, samples, histograms };
}
