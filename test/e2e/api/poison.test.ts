/**
 * Poison experiments (issue 13, item 4): the coordinator service over NATS is killed with SIGKILL
 * and started again while an experiment runs. It resumes the experiment after the first and the
 * second restart; the third restart during the same experiment fails it with the reason instead
 * of resuming it again, and the agent stops the orphaned load by its dead-man switch.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { cleanupAll, recordMeasurement, startHttpTarget, startNatsServer, startProcess, teardown, waitUntil, waitUntilSteady } from "../../harness/index.js";
import { ASSAY_BIN, REPO_ROOT } from "../cli/cli.js";
import { startCoordinator } from "./support.js";
import type { CoordinatorProcess } from "./support.js";

after(cleanupAll);

const YAML = (url: string): string => `name: poison
spec:
  - task: http
    with:
      url: ${url}
      duration: 120s
      qps: 20
      connections: 2
`;

void describe("poison experiments", { timeout: 240_000 }, () => {
  void it("is failed, not resumed, at the third coordinator restart during it", async (t) => {
    const fixtures = teardown(t);
    const nats = await startNatsServer();
    fixtures.defer(() => nats.stop());
    const target = await startHttpTarget();
    fixtures.defer(() => target.close());
    const agent = await startProcess(process.execPath, [ASSAY_BIN, "agent", "--nats", nats.url, "--name", "p-a", "--dead-man", "10s"], {
      cwd: REPO_ROOT,
      env: { ...process.env, ASSAY_LOG_LEVEL: "warn" },
      name: "agent p-a",
    });
    fixtures.defer(() => agent.stop());

    const start = async (): Promise<CoordinatorProcess> => {
      const coordinator = await startCoordinator(["--nats", nats.url], { localAgents: null });
      fixtures.defer(() => coordinator.stop());
      return coordinator;
    };
    let coordinator = await start();
    const client = await coordinator.client();
    await waitUntil(async () => (await client.listAgents()).agents.length === 1, { timeoutMs: 30_000, intervalMs: 200, what: "the agent" });
    const { experiment } = await client.submit({ experimentYaml: YAML(target.url), sourceName: "poison.yaml", overrides: [] });
    assert.ok(experiment);

    await waitUntil(() => target.served() > 10, { timeoutMs: 30_000, what: "load to flow" });
    // A restart counts when it finds the experiment running (stored state), whether or not its load
    // survived the restart (a coordinator slow to start on a busy machine outlasts the dead-man time).
    for (let restart = 1; restart <= 3; restart++) {
      coordinator.handle.kill();
      await coordinator.handle.exited;
      const startedMs = Date.now();
      coordinator = await start();
      t.diagnostic(`restart ${restart}: the coordinator served again after ${Date.now() - startedMs} ms`);
      const got = await (await coordinator.client()).get(experiment.id);
      if (restart < 3) {
        assert.equal(got.experiment?.state, "EXPERIMENT_STATE_RUNNING", `resumed after restart ${restart}: ${got.experiment?.failure ?? ""}`);
      } else {
        assert.equal(got.experiment?.state, "EXPERIMENT_STATE_FAILED", "failed at the third restart");
        assert.match(got.experiment?.failure ?? "", /restarted 3 times while this experiment ran \(limit maxRestarts: 3\)/);
      }
    }

    // Nobody owns the run any more: the agent's dead-man switch stops its load.
    await waitUntilSteady(() => target.served(), { steadyMs: 2000, timeoutMs: 40_000, intervalMs: 100, what: "the orphaned load to stop" });
    assert.ok(target.served() < 20 * 120, "the load did not run to its end");
    recordMeasurement("poison-experiment", `failed at restart 3; load stopped after ${target.served()} of ${20 * 120} requests`);
  });
});
