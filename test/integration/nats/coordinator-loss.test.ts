/**
 * When the coordinator goes away: agents stop their load by themselves (dead-man switch), and a
 * coordinator killed mid-run and restarted with the same --state-id resumes the run with no report
 * lost.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { cleanupAll, makeTempDir, startHttpTarget, startNatsServer, startProcess, teardown, waitUntil, waitUntilSteady } from "../../harness/index.js";
import { ErrorCode } from "../../../core/index.js";
import type { ResultDocument } from "../../../core/index.js";
import { cliCommand, httpExperiment, requestCount, runYaml, startAgents, startCoordinator } from "./support.js";

after(cleanupAll);

void describe("coordinator loss", { timeout: 120_000 }, () => {
  void it("dead-man switch: an agent that stops hearing the coordinator stops its load", async (t) => {
    const fixtures = teardown(t);
    const target = await startHttpTarget({ delayMs: 1 });
    fixtures.defer(() => target.close());
    const nats = await startNatsServer();
    fixtures.defer(() => nats.stop());
    const agents = await startAgents(nats.url, ["d1"], ["--dead-man", "3s"]);
    fixtures.defer(() => Promise.all(agents.map((a) => a.handle.stop())));
    const coordinator = await startCoordinator(nats.url, 1);
    fixtures.defer(() => coordinator.link.close());

    // A long duration-mode run; the coordinator vanishes without cancelling it.
    const running = runYaml(coordinator.link, httpExperiment(target.url, { durationS: 60, qps: 100, connections: 2 }));
    await waitUntil(() => target.served() > 100, { timeoutMs: 15_000, what: "load to be flowing" });
    await coordinator.link.nc.close();
    const goneAtMs = Date.now();

    // Within the dead-man time (3 s) plus a heartbeat and the cancel grace, the served count stops growing.
    // The agent must also have logged the switch: a pause of a starved machine is not the end of the load.
    const stableSinceMs = await waitUntilSteady(() => target.served(), { steadyMs: 1500, also: () => /dead-man switch/.test(agents[0]?.handle.stderr() ?? ""), timeoutMs: 12_000, intervalMs: 100, what: "the dead-man switch to trip and the target's served count to stop growing" });
    assert.ok(stableSinceMs - goneAtMs <= 8000, `load stopped ${stableSinceMs - goneAtMs} ms after the coordinator vanished`);
    // The agent's silence began with its last heartbeat reply, up to a heartbeat (1 s, later on a
    // busy machine) before the coordinator vanished: its load runs on for the dead-man time less that.
    assert.ok(stableSinceMs - goneAtMs >= 1500, "the load kept going until the dead-man time had passed");
    assert.match(agents[0]?.handle.stderr() ?? "", /dead-man switch/);
    await coordinator.link.close().catch(() => undefined);
    // The coordinator's side of the run does not wait forever on a closed link.
    const abandoned = await running;
    assert.equal(abandoned.tasks[0]?.error?.code, ErrorCode.LinkClosed, abandoned.failure ?? "");
  });

  void it("all agents gone: the experiment fails with a clear message, no hang", async (t) => {
    const fixtures = teardown(t);
    const target = await startHttpTarget({ delayMs: 1 });
    fixtures.defer(() => target.close());
    const nats = await startNatsServer();
    fixtures.defer(() => nats.stop());
    const agents = await startAgents(nats.url, ["g1", "g2"]);
    fixtures.defer(() => Promise.all(agents.map((a) => a.handle.stop())));
    const coordinator = await startCoordinator(nats.url, 2);
    fixtures.defer(() => coordinator.link.close());
    const running = runYaml(coordinator.link, httpExperiment(target.url, { durationS: 60, qps: 50, connections: 2 }));
    await waitUntil(() => target.served() > 50, { timeoutMs: 15_000, what: "load to be flowing" });
    const killedAtMs = Date.now();
    for (const agent of agents) agent.handle.kill();
    const result = await running;
    assert.ok(Date.now() - killedAtMs < 10_000, "the run ended promptly");
    assert.match(result.failure ?? "", /all 2 agents were lost/);
    assert.equal(result.load?.events.filter((e) => e.type === "agent-lost").length, 2);
  });

  void it("a coordinator killed mid-run and restarted with the same --state-id resumes the run; no report lost", async (t) => {
    const fixtures = teardown(t);
    const target = await startHttpTarget({ delayMs: 2 });
    fixtures.defer(() => target.close());
    const nats = await startNatsServer();
    fixtures.defer(() => nats.stop());
    const agents = await startAgents(nats.url, ["r1", "r2", "r3"]);
    fixtures.defer(() => Promise.all(agents.map((a) => a.handle.stop())));
    const dir = await makeTempDir("assay-resume");
    const file = join(dir, "experiment.yaml");
    await writeFile(file, httpExperiment(target.url, { numRequests: 1200, qps: 150, connections: 6 }));
    const out = join(dir, "result.json");

    const { command, args } = cliCommand();
    const runArgs = [...args, "run", file, "--nats", nats.url, "--agents", "3", "--state-id", "resume-test", "--no-progress", "-o", "json", "--out", out];
    const first = await startProcess(command, runArgs, { name: "coordinator #1" });
    fixtures.defer(() => first.stop());
    await waitUntil(() => target.served() > 300, { timeoutMs: 20_000, what: "load to be flowing" });
    first.kill();
    await first.exited;
    const servedAtKill = target.served();

    const second = await startProcess(command, runArgs, { name: "coordinator #2" });
    fixtures.defer(() => second.stop());
    const code = await second.exited;
    assert.equal(code, 0, second.stderr().slice(-2000));
    const result = JSON.parse(second.stdout()) as ResultDocument;
    assert.ok(target.served() > servedAtKill, "the agents kept running while the coordinator was away");
    assert.equal(result.failure, null, result.failure ?? "");
    assert.equal(requestCount(result), 1200, "every report of the run was merged, before and after the restart");
    assert.equal(result.load?.conservation.ok, true, result.load?.conservation.mismatches.join("; "));
    assert.ok((result.load?.events ?? []).some((e) => e.type === "info" && /resumed/.test(e.message)), "the result records the resume");
    assert.equal(target.served(), 1200, "the target served exactly the requested count: nothing was re-run");
  });
});
