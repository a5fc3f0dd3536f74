/**
 * Benchmark of the assessment: 10 versions, 3 rewards (rate, mean, count) and 5 SLOs (two
 * percentiles on histograms, error rate, mean latency, a count). Target: under 100 ms.
 */
import { createHistogram, histogramToBase64, recordMicros } from "../../core/index.js";
import type { MetricSample } from "../../core/index.js";
import { assess } from "./assess.js";
import type { AssessmentInput } from "./assess.js";

const VERSIONS = 10;

/** A fixed, realistic input (deterministic; no randomness). */
export function benchInput(): AssessmentInput {
  const versions = Array.from({ length: VERSIONS }, (_, i) => `v${i + 1}`);
  const samples: Record<string, Record<string, MetricSample>> = {};
  const values: Record<string, Record<string, number>> = {};
  versions.forEach((v, i) => {
    const h = createHistogram();
    for (let n = 0; n < 5000; n++) recordMicros(h, 2000 + ((n * 7919 + i * 104729) % 40_000) + i * 150);
    const histogram = histogramToBase64(h);
    const p95 = h.getValueAtPercentile(95) / 1000;
    const p99 = h.getValueAtPercentile(99) / 1000;
    const meanMs = h.mean / 1000;
    const sdMs = h.stdDeviation / 1000;
    h.destroy();
    const users = 20_000 + i * 500;
    const conversions = Math.round(users * (0.1 + i * 0.002));
    samples[v] = {
      "http/latency-p95": { type: "histogram", histogram },
      "http/latency-p99": { type: "histogram", histogram },
      "http/latency-mean": { type: "mean", count: 5000, sum: 5000 * meanMs, sumOfSquares: 5000 * (sdMs * sdMs + meanMs * meanMs) },
      "http/error-rate": { type: "rate", successes: 10 + i, trials: 5000 },
      "shop/conversion": { type: "rate", successes: conversions, trials: users },
      "shop/revenue": { type: "mean", count: 4000, sum: 4000 * (52 + i * 0.3), sumOfSquares: 4000 * (52 + i * 0.3) ** 2 + 3999 * 400 },
      "shop/incidents": { type: "count", events: 30 - i, exposure: 1000 },
    };
    values[v] = {
      "http/latency-p95": p95,
      "http/latency-p99": p99,
      "http/latency-mean": meanMs,
      "http/error-rate": (10 + i) / 5000,
      "shop/conversion": conversions / users,
      "shop/revenue": 52 + i * 0.3,
      "shop/incidents": (30 - i) / 1000,
    };
  });
  return {
    versions,
    rewards: { max: ["shop/conversion", "shop/revenue"], min: ["shop/incidents"] },
    slos: {
      upper: [
        { metric: "http/latency-p95", limit: 45 },
        { metric: "http/latency-p99", limit: 50 },
        { metric: "http/error-rate", limit: 0.01 },
        { metric: "http/latency-mean", limit: 30 },
        { metric: "shop/incidents", limit: 0.05 },
      ],
      lower: [],
    },
    samples,
    values,
    confidence: 0.95,
  };
}

/** Warm-up rounds before timing: the first assessments also pay for compiling the code. */
const WARMUPS = 3;

/**
 * Runs the benchmark input `rounds` times after a few warm-ups. `ms` is the median wall time of one
 * assessment, `cpuMs` the mean CPU time (stable on a busy machine).
 */
export function benchAssessment(rounds = 10): { ms: number; cpuMs: number } {
  const input = benchInput();
  for (let w = 0; w < WARMUPS; w++) assess(input);
  const times: number[] = [];
  const cpuStart = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    assess(input);
    times.push(performance.now() - start);
  }
  const cpu = process.cpuUsage(cpuStart);
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] ?? 0, cpuMs: (cpu.user + cpu.system) / 1000 / rounds };
}
