import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanupAll, startHttpTarget, startNatsServer, teardown, waitUntil } from "../../harness/index.js";
import { httpExperiment, requestCount, runYaml, startAgents, startCoordinator } from "./support.js";

after(cleanupAll);

void describe("agent drain (SIGTERM)", { timeout: 60_000 }, () => {
  void it("hands back its shard: the other agents finish it and the count stays exact", async (t) => {
    const fixtures = teardown(t);
    const target = await startHttpTarget({ delayMs: 2 });
    fixtures.defer(() => target.close());
    const nats = await startNatsServer();
    fixtures.defer(() => nats.stop());
    const agents = await startAgents(nats.url, ["d1", "d2"]);
    fixtures.defer(() => Promise.all(agents.map((a) => a.handle.stop())));
    const coordinator = await startCoordinator(nats.url, 2);
    fixtures.defer(() => coordinator.link.close());

    const running = runYaml(coordinator.link, httpExperiment(target.url, { numRequests: 1000, qps: 200, connections: 4 }));
    await waitUntil(() => target.served() > 250, { timeoutMs: 15_000, what: "load to be flowing" });
    const draining = agents[1];
    assert.ok(draining);
    draining.handle.child.kill("SIGTERM");
    const result = await running;

    assert.equal(result.failure, null, result.failure ?? "");
    assert.equal(requestCount(result), 1000, "the final request count is exact");
    assert.equal(target.served(), 1000, "no request was sent twice or dropped");
    const events = result.load?.events ?? [];
    const drained = events.find((e) => e.type === "agent-drained");
    assert.equal(drained?.agentId, "d2", `events: ${events.map((e) => `${e.type}:${e.agentId ?? ""}`).join(",")}`);
    assert.ok(events.some((e) => e.type === "redistributed" && /moved to d1/.test(e.message)), "the rest went to d1");
    assert.equal(result.load?.conservation.ok, true, result.load?.conservation.mismatches.join("; "));
    assert.equal(await draining.handle.exited, 0, "the drained agent exits cleanly");
  });
});
