import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { cleanupAll, freePort, startHttpTarget, startNatsServer, startProcess, waitUntil } from "../../harness/index.js";
import { ASSAY_BIN, REPO_ROOT } from "../cli/cli.js";
import { startCoordinator } from "./support.js";

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

/** The value of one sample line, e.g. `assay_agent_requests_sent_total{class="2xx"}`. */
function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe("ops metrics during a run", { timeout: 90_000 }, () => {
  after(cleanupAll);

  it("count what the agent sent and what the coordinator merged", async () => {
    const nats = await startNatsServer();
    const target = await startHttpTarget({ failEvery: 10 });
    const agentOps = await freePort();
    const coordinatorOps = await freePort();
    const env = { ...process.env, ASSAY_LOG_LEVEL: "warn" };
    await startProcess(process.execPath, [ASSAY_BIN, "agent", "--nats", nats.url, "--name", "m1", "--ops-listen", `127.0.0.1:${agentOps}`], { cwd: REPO_ROOT, env, name: "agent m1" });
    const coordinator = await startCoordinator(["--nats", nats.url, "--ops-listen", `127.0.0.1:${coordinatorOps}`], { localAgents: null });
    const client = await coordinator.client();
    await waitUntil(async () => (await client.listAgents()).agents.length === 1, { timeoutMs: 15_000, intervalMs: 200, what: "the agent" });
    await waitUntil(async () => sample(await scrape(agentOps), "assay_agent_coordinator_connected") === 1, { timeoutMs: 10_000, what: "the agent to hear the coordinator" });

    const yaml = `spec:\n  - task: http\n    with:\n      url: ${target.url}\n      numRequests: 300\n      qps: 150\n      connections: 2\n`;
    const { experiment } = await client.submit({ experimentYaml: yaml, sourceName: "metrics.yaml", overrides: [] });
    assert.ok(experiment);
    await waitUntil(async () => (await client.get(experiment.id)).experiment?.state === "EXPERIMENT_STATE_COMPLETED", { timeoutMs: 30_000, intervalMs: 250, what: "the experiment" });

    const agent = await scrape(agentOps);
    assert.equal(sample(agent, 'assay_agent_requests_sent_total{class="2xx"}'), 270);
    assert.equal(sample(agent, 'assay_agent_requests_sent_total{class="5xx"}'), 30);
    assert.ok((sample(agent, "assay_agent_reports_sent_total") ?? 0) >= 2);

    const coord = await scrape(coordinatorOps);
    assert.equal(sample(coord, 'assay_coordinator_experiments_finished_total{outcome="completed"}'), 1);
    assert.equal(sample(coord, "assay_coordinator_experiments_running"), 0);
    assert.equal(sample(coord, "assay_coordinator_agents_connected"), 1);
    const merged = sample(coord, "assay_coordinator_reports_merged_total") ?? 0;
    assert.ok(merged >= 2, `reports merged: ${merged}`);
    assert.equal(sample(coord, "assay_coordinator_merge_lag_seconds_count"), merged, "one lag observation per merged report");
    await coordinator.stop();
  });
});
