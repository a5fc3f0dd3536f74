import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RunMerger, computeSeriesMetrics } from "../../../coordinator/index.js";
import { createHistogram, encodeHistogram, percentileMs, pb, recordMicros } from "../../../core/index.js";
import type { SeriesStatsInit } from "../../../core/index.js";

function stats(version: string, latenciesUs: readonly number[], errors = 0): SeriesStatsInit {
  const histogram = createHistogram();
  for (const value of latenciesUs) recordMicros(histogram, value);
  return {
    version,
    endpoint: "",
    requests: latenciesUs.length,
    errors,
    statusClasses: [0, latenciesUs.length - errors, 0, 0, errors],
    latencySumUs: latenciesUs.reduce((a, b) => a + b, 0),
    latencySumSqUs: latenciesUs.reduce((a, b) => a + b * b, 0),
    latencyMinUs: Math.min(...latenciesUs),
    latencyMaxUs: Math.max(...latenciesUs),
    latencyHistogram: encodeHistogram(histogram),
  };
}

function report(agentId: string, seq: number, series: SeriesStatsInit[]) {
  return pb.IntervalReport.decode(
    pb.IntervalReport.encode({ runId: "r", agentId, shardId: `s-${agentId}`, seq, intervalStartMs: 1000 * seq, intervalEndMs: 1000 * (seq + 1), series }).finish(),
  );
}

function done(agentId: string, lastSeq: number, totals: SeriesStatsInit[]) {
  return pb.ShardDone.decode(pb.ShardDone.encode({ runId: "r", agentId, shardId: `s-${agentId}`, lastSeq, totals, outcome: "completed", startedAtMs: 1000, finishedAtMs: 3000 }).finish());
}

describe("RunMerger", () => {
  it("merges histograms exactly: percentiles equal those of one histogram of all values, never averages", () => {
    const fast = Array.from({ length: 900 }, (_, i) => 1000 + i);
    const slow = Array.from({ length: 100 }, (_, i) => 100_000 + i * 100);
    const merger = new RunMerger();
    merger.mergeReport(report("a", 1, [stats("v1", fast)]));
    merger.mergeReport(report("b", 1, [stats("v1", slow)]));
    const aggregate = merger.series.values().next().value!;
    const all = createHistogram();
    for (const v of [...fast, ...slow]) recordMicros(all, v);
    assert.equal(aggregate.counts.requests, 1000);
    assert.equal(percentileMs(aggregate.latency, 95), percentileMs(all, 95));
    assert.equal(percentileMs(aggregate.latency, 50), percentileMs(all, 50));
    // An average of the two agents' p95s would be far from the true p95.
    const metrics = computeSeriesMetrics(aggregate, { percentiles: [95], durationMs: 2000, openModel: false });
    assert.ok((metrics.values["http/latency-p95"] ?? 0) > 100, "p95 falls in the slow tail");
    assert.equal(metrics.values["http/request-count"], 1000);
    assert.equal(metrics.values["http/throughput"], 500);
    const exactMean = [...fast, ...slow].reduce((a, b) => a + b, 0) / 1000 / 1000;
    assert.ok(Math.abs((metrics.values["http/latency-mean"] ?? 0) - exactMean) < 1e-9, "mean is exact, from moments");
    assert.equal(metrics.values["http/latency-min"], 1);
  });

  it("merges a redelivered report once", () => {
    const merger = new RunMerger();
    const r = report("a", 1, [stats("v1", [1000, 2000])]);
    assert.equal(merger.mergeReport(r), "merged");
    assert.equal(merger.mergeReport(r), "duplicate");
    assert.equal(merger.progress().requests, 2);
    assert.equal(merger.duplicateReports, 1);
  });

  it("folds a late report into the totals and checks conservation", () => {
    const merger = new RunMerger();
    merger.expectShard("a", "s-a");
    merger.mergeReport(report("a", 1, [stats("v1", [1000, 2000], 1)]));
    merger.recordDone(done("a", 2, [stats("v1", [1000, 2000, 3000], 1)]));
    assert.equal(merger.isComplete(), false, "report 2 is still missing");
    const early = merger.checkConservation();
    assert.equal(early.ok, false);
    assert.ok(early.mismatches.some((m) => m.includes("interval report 2 of 2 missing")));
    merger.mergeReport(report("a", 2, [stats("v1", [3000])]));
    assert.equal(merger.isComplete(), true);
    assert.deepEqual(merger.checkConservation(), { ok: true, mismatches: [] });
  });

  it("reports a mismatch between interval counts and shard totals, never hides it", () => {
    const merger = new RunMerger();
    merger.mergeReport(report("a", 1, [stats("v1", [1000, 2000])]));
    merger.recordDone(done("a", 1, [stats("v1", [1000, 2000, 3000])]));
    const check = merger.checkConservation();
    assert.equal(check.ok, false);
    assert.ok(check.mismatches.some((m) => /requests intervals sum to 2, shard total is 3/.test(m)), check.mismatches.join("\n"));
  });

  it("names a shard that never finished", () => {
    const merger = new RunMerger();
    merger.expectShard("a", "s-a");
    assert.match(merger.checkConservation().mismatches.join(), /no ShardDone received/);
  });

  it("keeps the books of an abandoned shard: later reports are not merged, only tallied", () => {
    const merger = new RunMerger();
    assert.equal(merger.mergeReport(report("a", 1, [stats("v1", [1000, 2000], 1)])), "merged");
    const before = merger.mergedCounts("a", "s-a");
    assert.equal(before.maxSeq, 1);
    assert.equal(before.bySeries.get("v1\u0000")?.requests, 2);
    assert.equal(before.bySeries.get("v1\u0000")?.errors, 1);
    merger.abandonShard("a", "s-a", before.maxSeq);
    assert.equal(merger.mergeReport(report("a", 2, [stats("v1", [3000, 4000, 5000])])), "after-abandon");
    assert.equal(merger.progress().requests, 2, "the re-run share is not counted twice");
    assert.equal(merger.mergedCounts("a", "s-a").maxSeq, 1);
    assert.deepEqual(merger.ignoredAfterAbandon(), [{ agentId: "a", shardId: "s-a", requests: 3 }]);
  });
});
