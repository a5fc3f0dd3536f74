/**
 * The dead-man switch holds with other coordinators on the same NATS: an idle `assay coordinator`
 * answers every agent's heartbeats, but only the coordinator that owns a run keeps its shards
 * alive. `assay run --nats` killed with SIGKILL mid-run: the agent stops the load within its
 * dead-man time although the service keeps answering.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { cleanupAll, makeTempDir, recordMeasurement, startHttpTarget, startNatsServer, startProcess, teardown, waitUntil, waitUntilSteady } from "../../harness/index.js";
import { cliCommand, httpExperiment, startAgents } from "./support.js";

after(cleanupAll);

const DEAD_MAN_MS = 3000;

void describe("dead-man switch with another coordinator on the same NATS", { timeout: 120_000 }, () => {
  void it("an idle coordinator's heartbeat replies do not keep a killed run's load alive", async (t) => {
    const fixtures = teardown(t);
    const target = await startHttpTarget({ delayMs: 1 });
    fixtures.defer(() => target.close());
    const nats = await startNatsServer();
    fixtures.defer(() => nats.stop());
    const agents = await startAgents(nats.url, ["o1"], ["--dead-man", `${DEAD_MAN_MS / 1000}s`]);
    fixtures.defer(() => Promise.all(agents.map((a) => a.handle.stop())));
    const agent = agents[0]?.handle;
    assert.ok(agent);

    const { command, args } = cliCommand();
    const service = await startProcess(command, [...args, "coordinator", "--nats", nats.url, "--listen", "127.0.0.1:0"], {
      name: "idle assay coordinator",
      env: { ...process.env, ASSAY_LOG_LEVEL: "info" },
    });
    fixtures.defer(() => service.stop("SIGTERM", 10_000));
    await waitUntil(() => /coordinator listening on/.test(service.stdout()), { timeoutMs: 60_000, what: "the idle coordinator to listen" });

    const dir = await makeTempDir("dead-man-owner");
    const file = join(dir, "experiment.yaml");
    await writeFile(file, httpExperiment(target.url, { durationS: 60, qps: 100, connections: 2 }));
    const run = await startProcess(command, [...args, "run", file, "--nats", nats.url, "--agents", "1", "--no-progress"], { name: "assay run --nats" });
    fixtures.defer(() => run.stop());
    await waitUntil(() => target.served() > 100, { timeoutMs: 30_000, what: "load to be flowing" });

    const killedAtMs = Date.now();
    run.kill();
    await run.exited;

    const stableSinceMs = await waitUntilSteady(() => target.served(), { steadyMs: 1500, also: () => /dead-man switch/.test(agent.stderr()), timeoutMs: 20_000, intervalMs: 100, what: "the dead-man switch to trip and the load to stop" });
    const stoppedAfterMs = stableSinceMs - killedAtMs;
    t.diagnostic(`load stopped ${stoppedAfterMs} ms after the owner was killed (dead-man ${DEAD_MAN_MS} ms)`);
    recordMeasurement("dead-man-owner", `load stopped ${(stoppedAfterMs / 1000).toFixed(1)} s after the kill (dead-man ${DEAD_MAN_MS / 1000} s; before the fix it ran to its end)`);
    // Within the dead-man time, plus a heartbeat, the check period and a starved machine's pauses.
    assert.ok(stoppedAfterMs <= DEAD_MAN_MS + 5000, `load stopped ${stoppedAfterMs} ms after the owner was killed`);
    assert.ok(target.served() < 100 * 30, `the load did not run to its end (${target.served()} served)`);
    // The idle service was there and answering the whole time.
    assert.equal(service.child.exitCode, null, "the idle coordinator is still up");
  });
});
