/**
 * Distributed runs over a real nats-server (JetStream, temp store) with three `assay agent`
 * processes: exact merge, an agent killed mid-run, a NATS restart mid-run, malformed messages.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { connect } from "nats";
import { histogramFromBase64, percentileMs, reportMessageId, reportSubject, SUBJECTS } from "../../../core/index.js";
import type { ResultDocument } from "../../../core/index.js";
import { cleanupAll, startHttpTarget, teardown, waitUntil } from "../../harness/index.js";
import { httpExperiment, requestCount, runYaml, startCluster } from "./support.js";

after(cleanupAll);

/**
 * A percentile of the merged service-time histogram (from each request's actual send). Latency
 * from the intended send time also carries how far a starved generator fell behind its schedule,
 * which on a busy machine differs from one run to the next by far more than the target's delay.
 */
function serviceTimeP(result: ResultDocument, p: number): number {
  const encoded = result.histograms["default"]?.["http"]?.serviceTime;
  assert.ok(encoded, "the result holds the merged service-time histogram");
  const value = percentileMs(histogramFromBase64(encoded), p);
  assert.ok(value !== undefined, `p${p} of the merged histogram`);
  return value;
}

void describe("distributed runs over NATS", { timeout: 120_000 }, () => {
  void it("merges three agents exactly: counts exact, percentiles as a single agent's run of the same total", async (t) => {
    const fixtures = teardown(t);
    // The target's delay is what the percentiles are compared on: large enough to dominate what a
    // busy 2-core machine adds, with connections enough for 150 qps at that delay.
    const delayMs = 100;
    const target = await startHttpTarget({ delayMs });
    fixtures.defer(() => target.close());
    const { coordinator } = await startCluster(fixtures, ["m1", "m2", "m3"]);

    const merged = await runYaml(coordinator.link, httpExperiment(target.url, { numRequests: 450, qps: 150, connections: 30 }));
    assert.equal(merged.failure, null);
    assert.equal(requestCount(merged), 450);
    assert.deepEqual(merged.load?.agents, ["m1", "m2", "m3"]);
    assert.equal(merged.load?.conservation.ok, true, merged.load?.conservation.mismatches.join("; "));
    const mergedHistogram = histogramFromBase64(merged.histograms["default"]?.["http"]?.latency ?? "");
    assert.equal(mergedHistogram.totalCount, 450, "the merged histogram holds every request");

    const single = await runYaml(coordinator.link, httpExperiment(target.url, { numRequests: 450, qps: 150, connections: 30, agents: 1 }));
    assert.equal(single.failure, null);
    assert.equal(requestCount(single), 450);
    assert.equal(single.load?.agents.length, 1);
    // Same target delay, same total: the percentiles agree (the delay dominates; a loaded 2-core
    // machine adds some noise to either run).
    for (const p of [50, 75]) {
      const a = serviceTimeP(merged, p);
      const b = serviceTimeP(single, p);
      assert.ok(a >= delayMs && b >= delayMs, `p${p}: ${a} and ${b} include the ${delayMs} ms delay`);
      assert.ok(Math.abs(a - b) <= 0.5 * Math.min(a, b), `p${p}: merged ${a} ms vs single ${b} ms`);
    }
  });

  void it("declares an agent killed with SIGKILL lost within 3 s and redistributes its share: the count stays exact", async (t) => {
    const fixtures = teardown(t);
    const target = await startHttpTarget({ delayMs: 2 });
    fixtures.defer(() => target.close());
    const { agents, coordinator } = await startCluster(fixtures, ["k1", "k2", "k3"]);

    const running = runYaml(coordinator.link, httpExperiment(target.url, { numRequests: 1200, qps: 200, connections: 6 }));
    await waitUntil(() => target.served() > 300, { timeoutMs: 15_000, what: "load to be flowing" });
    const victim = agents[1];
    assert.ok(victim);
    const killedAtMs = Date.now();
    victim.handle.kill();
    const result = await running;

    const lost = coordinator.events.find((e) => e.event.type === "lost" && e.event.agentId === "k2");
    assert.ok(lost, "k2 was declared lost");
    assert.ok(lost.atMs - killedAtMs <= 3000, `declared lost ${lost.atMs - killedAtMs} ms after the kill`);
    assert.equal(result.failure, null, result.failure ?? "");
    assert.equal(requestCount(result), 1200, "the final request count is exact");
    const types = (result.load?.events ?? []).map((e) => e.type);
    assert.ok(types.includes("agent-lost"), `events: ${types.join(",")}`);
    assert.ok(types.includes("redistributed"), `events: ${types.join(",")}`);
    assert.equal(result.load?.conservation.ok, true, result.load?.conservation.mismatches.join("; "));
  });

  void it("survives a NATS restart mid-run: everyone reconnects and no report is lost", async (t) => {
    const fixtures = teardown(t);
    const target = await startHttpTarget({ delayMs: 2 });
    fixtures.defer(() => target.close());
    const { nats, coordinator } = await startCluster(fixtures, ["n1", "n2", "n3"]);

    const running = runYaml(coordinator.link, httpExperiment(target.url, { numRequests: 1200, qps: 200, connections: 6 }));
    await waitUntil(() => target.served() > 300, { timeoutMs: 15_000, what: "load to be flowing" });
    await nats.restart();
    const result = await running;
    assert.equal(result.failure, null, result.failure ?? "");
    assert.equal(requestCount(result), 1200, "no report was lost");
    assert.equal(result.load?.conservation.ok, true, result.load?.conservation.mismatches.join("; "));
    assert.ok(!(result.load?.events ?? []).some((e) => e.type === "agent-lost"), "nobody was declared lost because of the restart");
    await waitUntil(() => coordinator.link.agents().length === 3, { timeoutMs: 10_000, what: "all three agents registered again" });
  });

  void it("logs and drops malformed messages on agent subjects; the run completes", async (t) => {
    const fixtures = teardown(t);
    const target = await startHttpTarget({ delayMs: 2 });
    fixtures.defer(() => target.close());
    const { nats, coordinator } = await startCluster(fixtures, ["x1", "x2", "x3"]);
    const rogue = await connect({ servers: nats.url });
    fixtures.defer(() => rogue.close());

    const running = runYaml(coordinator.link, httpExperiment(target.url, { numRequests: 900, qps: 300, connections: 6 }));
    await waitUntil(() => target.served() > 100, { timeoutMs: 15_000, what: "load to be flowing" });
    const garbage = new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x08]);
    rogue.publish(SUBJECTS.hello, garbage);
    rogue.publish("assay.agent.x1.heartbeat", garbage);
    rogue.publish("assay.agent.x1.control", garbage);
    // A garbage report in the stream, with a plausible message id.
    const js = rogue.jetstream();
    await js.publish(reportSubject("rogue-run"), garbage, { msgID: reportMessageId("x1", "s", 1) });
    await js.publish("assay.run.rogue-run.other", garbage);
    await rogue.flush();
    const result = await running;
    assert.equal(result.failure, null, result.failure ?? "");
    assert.equal(requestCount(result), 900);
    assert.ok(coordinator.link.malformedMessages >= 2, `malformed messages counted: ${coordinator.link.malformedMessages}`);
    assert.equal(coordinator.link.agents().length, 3, "every agent is still registered");
  });
});
