/**
 * A hand-built result document for the render tests: two versions, SLOs with one failing and one
 * metric missing, an interrupted run, connection errors, a failed task, encoded histograms.
 */
import type { ResultDocument } from "../../../core/index.js";
import { createHistogram, histogramToBase64, recordMicros } from "../../../core/index.js";

function encodedLatencies(fromMs: number, toMs: number, count: number): string {
  const histogram = createHistogram();
  for (let i = 0; i < count; i++) recordMicros(histogram, (fromMs + ((toMs - fromMs) * i) / (count - 1)) * 1000);
  const text = histogramToBase64(histogram);
  histogram.destroy();
  return text;
}

export function sampleResult(): ResultDocument {
  return {
    schemaVersion: 1,
    name: "checkout-ab",
    completed: false,
    failure: "interrupted by Ctrl-C",
    incomplete: true,
    startTime: "2026-11-21T10:00:00.000Z",
    endTime: "2026-11-21T10:00:12.500Z",
    numCompletedTasks: 1,
    versions: ["v1", "v2"],
    metrics: {
      v1: {
        "http/request-count": 1000,
        "http/error-count": 0,
        "http/error-rate": 0,
        "http/latency-mean": 3.21456,
        "http/latency-stddev": 0.5123,
        "http/latency-min": 2.0101,
        "http/latency-max": 9.87,
        "http/latency-p50": 3.1,
        "http/latency-p95": 4.125,
        "http/latency-p99.9": 9.5,
        "http/throughput": 199.87,
        "prom/cpu-seconds": 12.34567,
      },
      v2: {
        "http/request-count": 1000,
        "http/error-count": 1000,
        "http/error-rate": 1,
        "http/latency-mean": 131.24,
        "http/latency-stddev": 12.5,
        "http/latency-min": 100.3,
        "http/latency-max": 1523.4,
        "http/latency-p50": 120,
        "http/latency-p95": 131.2,
        "http/latency-p99.9": 1500,
        "http/throughput": 150.5,
      },
    },
    metricsInfo: {
      "http/request-count": { type: "counter", description: "number of requests sent" },
      "http/latency-p95": { units: "msec", type: "gauge", description: "95th percentile latency" },
      "prom/cpu-seconds": { units: "s", type: "gauge", description: "CPU seconds" },
    },
    slos: [
      { metric: "http/error-rate", direction: "upper", limit: 0.01, satisfied: { v1: true, v2: false }, value: { v1: 0, v2: 1 } },
      { metric: "http/latency-p95", direction: "upper", limit: 100, satisfied: { v1: true, v2: false }, value: { v1: 4.125, v2: 131.2 } },
      { metric: "prom/cpu-seconds", direction: "upper", limit: 20, satisfied: { v1: true, v2: false }, value: { v1: 12.34567, v2: null } },
    ],
    tasks: [
      { index: 0, task: "http", status: "completed", durationMs: 12_000 },
      { index: 1, task: "custommetrics", status: "completed", durationMs: 150 },
      { index: 2, task: "assess", writtenName: "assess-app-versions", status: "completed" },
      { index: 3, task: "slack", status: "skipped", condition: "SLOs()" },
      {
        index: 4,
        task: "notify",
        status: "failed",
        condition: "not SLOs()",
        attempts: 3,
        error: { code: "ACTION_FAILED", message: "POST http://127.0.0.1:9/hook answered 503" },
      },
      { index: 5, task: "github", status: "cancelled" },
    ],
    histograms: {
      v1: { http: { latency: encodedLatencies(2, 10, 200) } },
      v2: { http: { latency: encodedLatencies(100, 1500, 200) } },
    },
    load: {
      agents: ["local-0", "local-1"],
      startSkewMs: 3,
      durationMs: 12_000,
      conservation: { ok: false, mismatches: ["local-1 shard 0: intervals sum to 499 requests, shard total 500"] },
      errors: { v2: { "connection refused": 990, timeout: 10 } },
      events: [
        { time: "2026-11-21T10:00:12.000Z", type: "interrupted", message: "Ctrl-C: stopping load" },
        { time: "2026-11-21T10:00:00.000Z", type: "info", message: "started" },
      ],
      reportsMerged: 24,
    },
    metricErrors: { v2: { "prom/cpu-seconds": "query returned no data" } },
    source: "examples/checkout.yaml",
  };
}
