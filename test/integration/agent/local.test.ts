import assert from "node:assert/strict";
import { test } from "node:test";
import { startLocalAgents } from "../../../agent/index.js";
import { ErrorCode, TransportError, pb } from "../../../core/index.js";
import type { AgentEvent, ControlInit, ControlReply, IntervalReport, ShardDone } from "../../../core/index.js";
import { startHttpTarget, teardown, waitUntil } from "../../harness/index.js";
import { assertConservation, series, totalOf } from "./support.js";

async function control(link: Awaited<ReturnType<typeof startLocalAgents>>, agentId: string, message: ControlInit): Promise<ControlReply> {
  return pb.ControlReply.decode(await link.control(agentId, pb.Control.encode(message).finish(), 5000));
}

test("three local agents run shards of 100/100/101 requests: exact counts, conserved", async (t) => {
  const target = await startHttpTarget();
  teardown(t).defer(() => target.close());
  const link = await startLocalAgents({ count: 3 });
  teardown(t).defer(() => link.close());

  const agents = link.agents();
  assert.deepEqual(agents.map((a) => a.id), ["local-1", "local-2", "local-3"]);
  for (const agent of agents) {
    assert.equal(agent.capacity, 1);
    assert.deepEqual(agent.labels, { mode: "local" });
    assert.match(agent.version, /^\d+\.\d+\.\d+/);
  }

  const reports: IntervalReport[] = [];
  const dones: ShardDone[] = [];
  const unsubscribe = link.subscribe((event: AgentEvent) => {
    if (event.type === "report") reports.push(pb.IntervalReport.decode(event.payload));
    if (event.type === "done") dones.push(pb.ShardDone.decode(event.payload));
    if (event.type === "report" || event.type === "done") event.ack();
  });
  teardown(t).defer(unsubscribe);

  const shares = [100, 100, 101];
  for (const [i, agent] of agents.entries()) {
    const reply = await control(link, agent.id, {
      assign: { runId: "run-1", shardId: `shard-${i + 1}`, shard: { reportIntervalMs: 200, series: [series(target.url, { numRequests: shares[i] ?? 0, connections: 2 })] } },
    });
    assert.equal(reply.ok, true, reply.errorMessage);
  }
  const startAtMs = Date.now() + 200;
  for (const [i, agent] of agents.entries()) {
    const reply = await control(link, agent.id, { start: { runId: "run-1", shardId: `shard-${i + 1}`, startAtMs } });
    assert.equal(reply.ok, true);
  }
  await waitUntil(() => dones.length === 3, { timeoutMs: 15_000, what: "three ShardDone" });

  let sum = 0;
  for (const [i, agent] of agents.entries()) {
    const done = dones.find((d) => d.agentId === agent.id);
    assert.ok(done, `done from ${agent.id}`);
    assert.equal(done.outcome, "completed");
    assert.equal(done.shardId, `shard-${i + 1}`);
    const own = reports.filter((r) => r.agentId === agent.id);
    assertConservation({ reports: own, done });
    assert.equal(totalOf(done).requests, shares[i]);
    assert.ok(Number(done.startedAtMs) >= startAtMs - 5, "started at the agreed time");
    sum += totalOf(done).requests;
  }
  assert.equal(sum, 301);
  assert.equal(target.served(), 301);
});

test("closing the link cancels running shards (ShardDone arrives) and then rejects controls", async (t) => {
  const target = await startHttpTarget({ delayMs: 5 });
  teardown(t).defer(() => target.close());
  const link = await startLocalAgents({ count: 1, capacity: 3 });
  teardown(t).defer(() => link.close());
  assert.equal(link.agents()[0]?.capacity, 3);
  const dones: ShardDone[] = [];
  link.subscribe((event) => {
    if (event.type === "done") dones.push(pb.ShardDone.decode(event.payload));
  });
  await control(link, "local-1", { assign: { runId: "r", shardId: "s", shard: { durationMs: 60_000, series: [series(target.url)] } } });
  await control(link, "local-1", { start: { runId: "r", shardId: "s", startAtMs: Date.now() } });
  await waitUntil(() => target.served() > 20, { what: "load flowing" });
  const closing = Date.now();
  await link.close();
  assert.ok(Date.now() - closing < 3000, "close is prompt");
  assert.equal(dones.length, 1);
  assert.equal(dones[0]?.outcome, "cancelled");
  assert.ok(totalOf(dones[0]).requests > 0);
  await assert.rejects(
    link.control("local-1", pb.Control.encode({ timeProbe: {} }).finish(), 1000),
    (error: unknown) => error instanceof TransportError && error.code === ErrorCode.LinkClosed,
  );
  const served = target.received();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(target.received(), served, "no load after close");
});

test("control to an unknown agent rejects with LINK_CLOSED; a probe round-trips", async (t) => {
  const link = await startLocalAgents({ count: 1 });
  teardown(t).defer(() => link.close());
  await assert.rejects(
    link.control("nobody", pb.Control.encode({ timeProbe: {} }).finish(), 1000),
    (error: unknown) => error instanceof TransportError && error.code === ErrorCode.LinkClosed,
  );
  const reply = await control(link, "local-1", { timeProbe: { coordinatorTimeMs: Date.now() } });
  assert.equal(reply.ok, true);
  assert.ok(Math.abs(Number(reply.agentTimeMs) - Date.now()) < 1000);
});
