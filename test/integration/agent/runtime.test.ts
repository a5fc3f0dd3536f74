import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode } from "../../../core/index.js";
import { startHttpTarget, waitUntil } from "../../harness/index.js";
import { TestAgent, assertConservation, series, totalOf } from "./support.js";

test("a bad shard spec is refused with SHARD_INVALID and nothing runs", async () => {
  const agent = new TestAgent();
  const noUrl = await agent.control({ assign: { runId: "r", shardId: "s", shard: { series: [{ version: "v1", connections: 1, numRequests: 1, model: { closed: {} } }] } } });
  assert.equal(noUrl.ok, false);
  assert.equal(noUrl.errorCode, ErrorCode.BadShard);
  assert.match(noUrl.errorMessage, /url/);
  const noEnd = await agent.control({ assign: { runId: "r", shardId: "s", shard: { series: [series("http://127.0.0.1:1/")] } } });
  assert.equal(noEnd.errorCode, ErrorCode.BadShard);
  assert.match(noEnd.errorMessage, /no end/);
  const start = await agent.control({ start: { runId: "r", shardId: "s", startAtMs: Date.now() } });
  assert.equal(start.ok, false);
  assert.equal(start.errorCode, ErrorCode.UnknownShard);
});

test("undecodable control bytes get a MALFORMED_MESSAGE reply", async () => {
  const agent = new TestAgent();
  const reply = await agent.runtime.handleControl(new Uint8Array([0xff, 0xff, 0xff]));
  const { pb } = await import("../../../core/index.js");
  const decoded = pb.ControlReply.decode(reply);
  assert.equal(decoded.ok, false);
  assert.equal(decoded.errorCode, ErrorCode.MalformedMessage);
});

test("time probe answers with the agent clock", async () => {
  const agent = new TestAgent();
  const before = Date.now();
  const reply = await agent.control({ timeProbe: { coordinatorTimeMs: before } });
  assert.equal(reply.ok, true);
  assert.ok(Number(reply.agentTimeMs) >= before && Number(reply.agentTimeMs) <= Date.now());
});

test("start waits for startAtMs, corrected by the clock offset", async (t) => {
  const target = await startHttpTarget();
  t.after(() => target.close());
  const agent = new TestAgent();
  // The coordinator's clock is 5 s ahead: its "now + 5.4 s" is the agent's "now + 0.4 s".
  agent.runtime.setClockOffsetMs(5000);
  await agent.control({ assign: { runId: "r", shardId: "s", shard: { series: [series(target.url, { numRequests: 5 })] } } });
  const sentAt = Date.now();
  await agent.control({ start: { runId: "r", shardId: "s", startAtMs: sentAt + 5400 } });
  const { done } = await agent.waitDone("s");
  assert.ok(Number(done.startedAtMs) >= sentAt + 380, `started ${Number(done.startedAtMs) - sentAt} ms after Start`);
  assert.ok(Number(done.startedAtMs) < sentAt + 3000, "the offset was applied");
});

test("cancel mid-run stops within a second and still reports what was measured", async (t) => {
  // Every 7th response hangs for 20 s: cancel must not wait for it.
  const target = await startHttpTarget({ delayMs: (n) => (n % 7 === 0 ? 20_000 : 5) });
  t.after(() => target.close());
  const agent = new TestAgent();
  await agent.assignAndStart("r", "s", { durationMs: 30_000, reportIntervalMs: 300, series: [series(target.url, { connections: 8 })] });
  await waitUntil(() => agent.reports.length >= 2, { timeoutMs: 5000, what: "two reports" });
  const cancelledAt = Date.now();
  const reply = await agent.control({ cancel: { runId: "r", shardId: "s", reason: "test" } });
  assert.equal(reply.ok, true);
  const collected = await agent.waitDone("s", 3000);
  const tookMs = Date.now() - cancelledAt;
  assert.ok(tookMs < 1500, `cancel took ${tookMs} ms`);
  assert.equal(collected.done.outcome, "cancelled");
  assert.ok(Number(collected.done.finishedAtMs) - cancelledAt < 1200);
  assertConservation(collected);
  assert.ok(totalOf(collected.done).requests > 0);
  // Nothing more is sent after ShardDone.
  const served = target.received();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(target.received(), served);
});

test("cancel before start yields ShardDone cancelled with nothing measured", async () => {
  const agent = new TestAgent();
  await agent.control({ assign: { runId: "r", shardId: "s", shard: { series: [series("http://127.0.0.1:1/", { numRequests: 5 })] } } });
  await agent.control({ start: { runId: "r", shardId: "s", startAtMs: Date.now() + 60_000 } });
  await agent.control({ cancel: { runId: "r", shardId: "s", reason: "changed my mind" } });
  const { done } = await agent.waitDone("s");
  assert.equal(done.outcome, "cancelled");
  assert.equal(done.lastSeq, 0);
  assert.equal(done.errorMessage, "changed my mind");
});

test("stopAll cancels every running shard", async (t) => {
  const target = await startHttpTarget({ delayMs: 5 });
  t.after(() => target.close());
  const agent = new TestAgent();
  await agent.assignAndStart("r", "a", { durationMs: 30_000, series: [series(target.url)] });
  await agent.assignAndStart("r", "b", { durationMs: 30_000, series: [series(target.url, { model: { open: { qps: 50 } } })] });
  await waitUntil(() => target.served() > 10, { what: "some load" });
  assert.deepEqual(agent.runtime.runIds(), ["r"]);
  await agent.runtime.stopAll("shutdown");
  assert.deepEqual(agent.dones.map((d) => d.outcome).sort(), ["cancelled", "cancelled"]);
  assert.deepEqual(agent.runtime.runIds(), []);
});

test("adjust raises a closed-model count mid-run: exactly the new total is sent", async (t) => {
  const target = await startHttpTarget({ delayMs: 10 });
  t.after(() => target.close());
  const agent = new TestAgent();
  await agent.assignAndStart("r", "s", { series: [series(target.url, { numRequests: 50, connections: 1 })] });
  await waitUntil(() => target.served() >= 10, { what: "ten requests" });
  const reply = await agent.control({ adjust: { runId: "r", shardId: "s", series: [{ version: "v1", numRequests: 80, connections: 2 }] } });
  assert.equal(reply.ok, true, reply.errorMessage);
  const collected = await agent.waitDone("s");
  assertConservation(collected);
  assert.equal(totalOf(collected.done).requests, 80);
  assert.equal(target.served(), 80);
});

test("adjust changes an open-model rate from now on", async (t) => {
  const target = await startHttpTarget();
  t.after(() => target.close());
  const agent = new TestAgent();
  await agent.assignAndStart("r", "s", { durationMs: 3000, series: [series(target.url, { connections: 4, model: { open: { qps: 50 } } })] });
  await waitUntil(() => target.served() >= 50, { what: "one second of load" });
  const reply = await agent.control({ adjust: { runId: "r", shardId: "s", series: [{ version: "v1", model: { open: { qps: 150 } } }] } });
  assert.equal(reply.ok, true, reply.errorMessage);
  const collected = await agent.waitDone("s");
  assertConservation(collected);
  const sent = totalOf(collected.done).requests + totalOf(collected.done).dropped;
  // About 1 s at 50 qps, then about 2 s at 150 qps: ~350 (150 without the adjust).
  assert.ok(sent > 280 && sent < 400, `sent ${sent}`);
});

test("adjust refuses stages (UNSUPPORTED) and unknown series (SHARD_INVALID)", async (t) => {
  const target = await startHttpTarget();
  t.after(() => target.close());
  const agent = new TestAgent();
  await agent.control({ assign: { runId: "r", shardId: "s", shard: { series: [series(target.url, { numRequests: 5, model: { open: { qps: 10 } } })] } } });
  const stages = await agent.control({ adjust: { runId: "r", shardId: "s", series: [{ version: "v1", model: { open: { stages: [{ durationMs: 1000, qps: 5 }] } } }] } });
  assert.equal(stages.ok, false);
  assert.equal(stages.errorCode, ErrorCode.Unsupported);
  const unknown = await agent.control({ adjust: { runId: "r", shardId: "s", series: [{ version: "v9" }] } });
  assert.equal(unknown.errorCode, ErrorCode.BadShard);
  await agent.control({ cancel: { runId: "r", shardId: "s" } });
});
