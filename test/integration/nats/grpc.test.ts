/**
 * The grpc task distributed over a real nats-server with three `assay agent` processes: counts and
 * histograms merged exactly, and exact totals when an agent is killed mid-run (its share handed to
 * the survivors, as for http).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { histogramFromBase64 } from "../../../core/index.js";
import { cleanupAll, startGrpcTarget, teardown, waitUntil } from "../../harness/index.js";
import type { GrpcTarget } from "../../harness/index.js";
import { runYaml, startCluster } from "./support.js";

after(cleanupAll);

function grpcExperiment(target: GrpcTarget, load: readonly string[]): string {
  return ["name: nats-grpc", "spec:", "  - task: grpc", "    with:", `      host: ${target.host}`, "      call: assay.test.Echo.Say", `      proto: ${target.protoPath}`, "      data: {name: nats}", ...load.map((l) => `      ${l}`), ""].join("\n");
}

void describe("grpc task distributed over NATS", { timeout: 120_000 }, () => {
  void it("three agents: calls counted on the server equal the merged count, histogram holds every call", async (t) => {
    const fixtures = teardown(t);
    const target = await startGrpcTarget({ delayMs: 1 });
    fixtures.defer(() => target.close());
    const { coordinator } = await startCluster(fixtures, ["g1", "g2", "g3"]);

    const result = await runYaml(coordinator.link, grpcExperiment(target, ["total: 301", "concurrency: 9", "connections: 3"]));
    assert.equal(result.failure, null, result.failure ?? "");
    assert.deepEqual(result.load?.agents, ["g1", "g2", "g3"]);
    assert.equal(result.metrics["default"]?.["grpc/request-count"], 301);
    assert.equal(result.metrics["default"]?.["grpc/status-count/OK"], 301);
    assert.equal(target.calls("Say"), 301);
    assert.equal(histogramFromBase64(result.histograms["default"]?.["grpc"]?.latency ?? "").totalCount, 301);
    assert.equal(result.load?.conservation.ok, true, result.load?.conservation.mismatches.join("; "));
  });

  void it("an agent killed with SIGKILL mid-run: its share is redistributed and the total stays exact", async (t) => {
    const fixtures = teardown(t);
    const target = await startGrpcTarget({ delayMs: 2 });
    fixtures.defer(() => target.close());
    const { agents, coordinator } = await startCluster(fixtures, ["k1", "k2", "k3"]);

    const running = runYaml(coordinator.link, grpcExperiment(target, ["total: 1200", "rps: 200", "concurrency: 6"]));
    await waitUntil(() => target.calls("Say") > 300, { timeoutMs: 15_000, what: "load to be flowing" });
    const victim = agents[1];
    assert.ok(victim);
    victim.handle.kill();
    const result = await running;

    assert.ok(coordinator.events.some((e) => e.event.type === "lost" && e.event.agentId === "k2"), "k2 was declared lost");
    assert.equal(result.failure, null, result.failure ?? "");
    const m = result.metrics["default"] ?? {};
    assert.equal((m["grpc/request-count"] ?? 0) + (m["grpc/dropped-count"] ?? 0), 1200, "calls + dropped is exactly the total");
    assert.ok(target.calls("Say") >= (m["grpc/request-count"] ?? 0), "the server saw every counted call");
    const types = (result.load?.events ?? []).map((e) => e.type);
    assert.ok(types.includes("redistributed"), `events: ${types.join(",")}`);
    assert.equal(result.load?.conservation.ok, true, result.load?.conservation.mismatches.join("; "));
  });
});
