/**
 * The http task's SeriesSpec: a series per version (or per endpoint of a version) whose target is
 * the HTTP request, the ShardSpec's HTTP fields (request timeout, TLS verification, redirects,
 * error status ranges), and Iter8's `http/…` metrics (builtin-metrics.ts).
 */
import type { AgentInfo, HttpRequestSpec, HttpTaskSpec } from "../../core/index.js";
import { computeSeriesMetrics } from "./builtin-metrics.js";
import { planLoadShards } from "./plan.js";
import type { PlannedShard } from "./plan.js";
import type { PlannedSeries, SeriesSpec, ShardOptions } from "./series.js";

/** One http series as the experiment model gives it. */
export interface HttpSeries {
  readonly version: string;
  readonly endpoint: string;
  readonly request: HttpRequestSpec;
}

export const httpSeriesSpec: SeriesSpec<HttpTaskSpec> = {
  protocol: "http",
  series: (spec) => listHttpSeries(spec).map(plannedHttpSeries),
  shardOptions: httpShardOptions,
  metrics: computeSeriesMetrics,
};

/** The task's series: its versions, or their endpoints when a version has any. */
export function listHttpSeries(spec: HttpTaskSpec): HttpSeries[] {
  return spec.versions.flatMap((version) => {
    const endpoints = Object.entries(version.endpoints);
    if (endpoints.length === 0) return [{ version: version.name, endpoint: "", request: version.request }];
    return endpoints.map(([endpoint, request]) => ({ version: version.name, endpoint, request }));
  });
}

function plannedHttpSeries(item: HttpSeries): PlannedSeries {
  return {
    version: item.version,
    endpoint: item.endpoint,
    target: {
      request: {
        url: item.request.url,
        method: item.request.method,
        headers: Object.entries(item.request.headers).map(([name, value]) => ({ name, value })),
        ...(item.request.body ? { body: item.request.body } : {}),
        ...(item.request.contentType ? { contentType: item.request.contentType } : {}),
      },
    },
  };
}

function httpShardOptions(spec: HttpTaskSpec): ShardOptions {
  return {
    requestTimeoutMs: spec.timeoutMs,
    insecureSkipVerify: spec.insecureSkipVerify,
    followRedirects: spec.followRedirects,
    maxRedirects: spec.followRedirects ? 10 : 0,
    errorRanges: spec.errorRanges.map((range) => ({ lower: range.lower ?? 0, upper: range.upper ?? 0 })),
  };
}

/** planLoadShards for an http task (its series as the experiment model gives them). */
export function planShards(spec: HttpTaskSpec, series: readonly HttpSeries[], agents: readonly AgentInfo[], runId: string, reportIntervalMs: number): PlannedShard[] {
  return planLoadShards(spec, series.map(plannedHttpSeries), agents, runId, { reportIntervalMs, options: httpShardOptions(spec) });
}
