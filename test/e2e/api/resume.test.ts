import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { cleanupAll, startHttpTarget, startNatsServer, startProcess, waitUntil } from "../../harness/index.js";
import { ASSAY_BIN, REPO_ROOT } from "../cli/cli.js";
import { startCoordinator } from "./support.js";

describe("coordinator service restart over NATS", { timeout: 120_000 }, () => {
  after(cleanupAll);

  it("resumes an experiment that was running when the coordinator was killed; no request lost or repeated", async () => {
    const nats = await startNatsServer();
    const target = await startHttpTarget({ delayMs: 1 });
    const env = { ...process.env, ASSAY_LOG_LEVEL: "warn" };
    await Promise.all(
      ["r-a", "r-b"].map((name) => startProcess(process.execPath, [ASSAY_BIN, "agent", "--nats", nats.url, "--name", name], { cwd: REPO_ROOT, env, name })),
    );
    const first = await startCoordinator(["--nats", nats.url], { localAgents: null });
    const client = await first.client();
    await waitUntil(async () => (await client.listAgents()).agents.length === 2, { timeoutMs: 15_000, intervalMs: 200, what: "two agents" });

    // 1,200 requests at 150 qps: about 8 s of load, long enough to kill the coordinator mid-run.
    const yaml = `name: resumed
spec:
  - task: http
    with:
      url: ${target.url}
      numRequests: 1200
      qps: 150
      connections: 4
`;
    const { experiment } = await client.submit({ experimentYaml: yaml, sourceName: "resumed.yaml", overrides: [] });
    assert.ok(experiment);
    await waitUntil(() => target.served() >= 200, { timeoutMs: 20_000, what: "load to flow" });
    first.handle.kill(); // SIGKILL: no graceful shutdown, the agents keep running their shards
    await first.handle.exited;

    const second = await startCoordinator(["--nats", nats.url], { localAgents: null });
    const again = await second.client();
    await waitUntil(
      async () => {
        const state = (await again.get(experiment.id)).experiment?.state;
        return state === "EXPERIMENT_STATE_COMPLETED" || state === "EXPERIMENT_STATE_FAILED";
      },
      { timeoutMs: 60_000, intervalMs: 250, what: "the resumed experiment to finish" },
    );
    const got = await again.get(experiment.id);
    assert.equal(got.experiment?.state, "EXPERIMENT_STATE_COMPLETED", got.experiment?.failure);
    const result = JSON.parse(got.resultJson) as { metrics: Record<string, Record<string, number>>; load?: { conservation: { ok: boolean } } };
    assert.equal(result.metrics["default"]?.["http/request-count"], 1200, "every request counted once");
    assert.equal(target.served(), 1200, "nothing was re-sent after the restart");
    assert.equal(result.load?.conservation.ok, true);
    await second.stop();
  });
});
