import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeHistogram, percentileMs } from "../../../core/index.js";
import type { SeriesStats } from "../../../core/index.js";
import { StagedRate } from "../../../agent/index.js";
import { startHttpTarget, waitUntil } from "../../harness/index.js";
import { TestAgent, assertConservation, intervalRates, series, totalOf } from "./support.js";

function p99Ms(bytes: Uint8Array): number {
  const h = decodeHistogram(bytes);
  const value = percentileMs(h, 99) ?? 0;
  h.destroy();
  return value;
}

function histogramCount(bytes: Uint8Array): number {
  const h = decodeHistogram(bytes);
  const n = h.totalCount;
  h.destroy();
  return n;
}

function assertOpenHistograms(total: SeriesStats): void {
  assert.equal(histogramCount(total.serviceTimeHistogram), total.requests, "service time recorded per request");
  assert.equal(histogramCount(total.scheduleLagHistogram), total.requests, "schedule lag recorded per request");
}

// The coordinated-omission demonstration (docs/load-models.md): the target freezes for 1 s once.
const STALL = { afterRequests: 200, stallMs: 1000 };

test("open model: a 1 s stall shows in latency p99 (from intended time) but not in service time", async (t) => {
  const target = await startHttpTarget({ stallOnce: STALL });
  t.after(() => target.close());
  const agent = new TestAgent();
  const { done } = await agent.run({ durationMs: 5000, series: [series(target.url, { connections: 4, model: { open: { qps: 200 } } })] });
  const total = totalOf(done);
  assertOpenHistograms(total);
  const latencyP99 = p99Ms(total.latencyHistogram);
  const serviceP99 = p99Ms(total.serviceTimeHistogram);
  assert.ok(latencyP99 >= 500, `latency p99 ${latencyP99} ms should reflect the 1 s stall`);
  assert.ok(serviceP99 < 200, `service time p99 ${serviceP99} ms should not`);
  assert.equal(total.requests + total.dropped, 1000, "5 s at 200 qps is 1000 intended requests");
});

test("closed model: the same stall hides behind coordinated omission (low p99)", async (t) => {
  const target = await startHttpTarget({ stallOnce: STALL });
  t.after(() => target.close());
  const agent = new TestAgent();
  const { done } = await agent.run({ durationMs: 5000, series: [series(target.url, { connections: 4, model: { closed: { maxQps: 200 } } })] });
  const total = totalOf(done);
  const latencyP99 = p99Ms(total.latencyHistogram);
  assert.ok(total.latencyMaxUs >= 900_000, `the stalled requests took ${total.latencyMaxUs} us`);
  assert.ok(latencyP99 < 200, `closed-model p99 ${latencyP99} ms does not show the stall`);
});

test("open model numRequests: exactly N intended sends", async (t) => {
  const target = await startHttpTarget();
  t.after(() => target.close());
  const agent = new TestAgent();
  const { done } = await agent.run({ series: [series(target.url, { numRequests: 300, connections: 8, model: { open: { qps: 600 } } })] });
  const total = totalOf(done);
  assertOpenHistograms(total);
  assert.equal(total.requests + total.dropped, 300);
  assert.equal(target.served(), total.requests);
});

test("open model: a full queue drops late requests and counts them", async (t) => {
  const target = await startHttpTarget({ delayMs: 50 });
  t.after(() => target.close());
  const agent = new TestAgent();
  const { done } = await agent.run({ maxQueue: 5, series: [series(target.url, { numRequests: 60, connections: 1, model: { open: { qps: 100 } } })] });
  const total = totalOf(done);
  assert.equal(total.requests + total.dropped, 60);
  assert.ok(total.dropped > 20, `dropped ${total.dropped}`);
  assert.equal(target.served(), total.requests);
});

test("open model warm-up is sent at the rate and not counted", async (t) => {
  const target = await startHttpTarget();
  t.after(() => target.close());
  const agent = new TestAgent();
  const { done } = await agent.run({ series: [series(target.url, { numRequests: 40, warmupNumRequests: 20, connections: 4, model: { open: { qps: 200 } } })] });
  assert.equal(totalOf(done).requests, 40);
  assert.equal(target.served(), 60);
});

test("stages ramp the rate up: reports show it rising toward the schedule", async (t) => {
  const target = await startHttpTarget();
  t.after(() => target.close());
  const agent = new TestAgent();
  const stages = [
    { durationMs: 2000, qps: 50 },
    { durationMs: 2000, qps: 200 },
  ];
  const { done, reports } = await agent.run({ series: [series(target.url, { connections: 8, model: { open: { stages } } })] });
  const total = totalOf(done);
  const schedule = new StagedRate(stages);
  assert.equal(total.requests + total.dropped, schedule.countBefore(4000), "the integral of the ramp: 300 requests");
  assert.equal(total.requests + total.dropped, 300);
  const rates = intervalRates(reports.filter((r) => Number(r.intervalEndMs) - Number(r.intervalStartMs) >= 900));
  assert.ok(rates.length >= 3, `rates ${rates.join(",")}`);
  assert.ok((rates[0] ?? 0) < (rates.at(-1) ?? 0), `rate rises: ${rates.map((r) => r.toFixed(0)).join(",")}`);
  // Last second of the ramp 50 -> 200 over 2 s: 162.5 requests expected.
  const last = rates.at(-1) ?? 0;
  assert.ok(Math.abs(last - 162.5) / 162.5 < 0.15, `last-second rate ${last.toFixed(1)} vs 162.5`);
});

test("open model: a cancel leaves the requests still queued unsent, not dropped (a drained agent hands them back)", async (t) => {
  // One connection at 100 ms per response against 200 intended sends per second: a queue builds.
  const target = await startHttpTarget({ delayMs: 100 });
  t.after(() => target.close());
  const agent = new TestAgent();
  await agent.assignAndStart("r", "s", { series: [series(target.url, { numRequests: 200, connections: 1, model: { open: { qps: 200 } } })] });
  await waitUntil(() => target.served() >= 3, { what: "a few responses" });
  await agent.control({ cancel: { runId: "r", shardId: "s", reason: "agent draining" } });
  const collected = await agent.waitDone("s");
  assertConservation(collected);
  const total = totalOf(collected.done);
  assert.equal(total.dropped, 0, "the queue was never full: nothing was dropped");
  assert.ok(total.requests < 50, `only what went out was counted (${total.requests} requests)`);
  assert.equal(target.served(), total.requests);
});
