import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, describe, it } from "node:test";
import type { api } from "../../../core/index.js";
import { cleanupAll, makeTempDir, startHttpTarget, startNatsServer, startProcess, waitUntil } from "../../harness/index.js";
import { ASSAY_BIN, REPO_ROOT } from "../cli/cli.js";
import { collect, startCoordinator, writeExperiment } from "./support.js";

describe("coordinator API over NATS with two agent processes", { timeout: 90_000 }, () => {
  after(cleanupAll);

  it("runs a submitted experiment on both agents; early and late watchers see the same events; it persists in JetStream", async () => {
    const nats = await startNatsServer();
    const target = await startHttpTarget({});
    const dir = await makeTempDir("api-nats");
    const env = { ...process.env, ASSAY_LOG_LEVEL: "warn" };
    await Promise.all(
      ["agent-a", "agent-b"].map((name) => startProcess(process.execPath, [ASSAY_BIN, "agent", "--nats", nats.url, "--name", name], { cwd: REPO_ROOT, env, name })),
    );
    const coordinator = await startCoordinator(["--nats", nats.url], { localAgents: null });
    const client = await coordinator.client();
    await waitUntil(async () => (await client.listAgents()).agents.length === 2, { timeoutMs: 15_000, intervalMs: 200, what: "two agents" });

    const yaml = await readFile(await writeExperiment(dir, "over-nats", target.url, { duration: "3s", qps: 20 }), "utf8");
    const { experiment } = await client.submit({ experimentYaml: yaml, sourceName: "over-nats.yaml", overrides: [] });
    assert.ok(experiment);
    const early = collect(client.watch(experiment.id));
    let late: Promise<api.WatchEvent__Output[]> | undefined;
    const probe = await collect((await coordinator.client()).watch(experiment.id), (event) => {
      if (event.metrics && !late) late = collect(client.watch(experiment.id));
    });
    const a = await early;
    assert.ok(late);
    const b = await late;
    const after = (events: api.WatchEvent__Output[], seq: number) => events.filter((e) => !e.snapshot && e.seq > seq).map((e) => `${e.seq}:${e.kind}`);
    assert.deepEqual(after(b, b[0]!.seq), after(a, b[0]!.seq));
    assert.deepEqual(after(probe, 0).slice(-3), after(a, 0).slice(-3));
    assert.equal(a.at(-1)?.completed?.experiment?.state, "EXPERIMENT_STATE_COMPLETED");

    const result = JSON.parse((await client.get(experiment.id)).resultJson) as { load?: { agents: string[] } };
    assert.deepEqual([...(result.load?.agents ?? [])].sort(), ["agent-a", "agent-b"]);

    // The key-value bucket keeps it across a coordinator restart.
    await coordinator.stop();
    const restarted = await startCoordinator(["--nats", nats.url], { localAgents: null });
    const got = await (await restarted.client()).get(experiment.id);
    assert.equal(got.experiment?.state, "EXPERIMENT_STATE_COMPLETED");
    assert.ok(got.resultJson.length > 0);
    await restarted.stop();
  });
});
