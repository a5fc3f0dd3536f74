import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, describe, it } from "node:test";
import { cleanupAll, makeTempDir, startHttpTarget } from "../../harness/index.js";
import { startCoordinator, waitForState, writeExperiment } from "./support.js";

describe("coordinator restart", { timeout: 90_000 }, () => {
  after(cleanupAll);

  it("keeps finished experiments with their results, fails the interrupted one, and runs the queued ones", async () => {
    const dir = await makeTempDir("api-restart");
    const stateDir = await makeTempDir("api-restart-state");
    const target = await startHttpTarget({});
    const short = await readFile(await writeExperiment(dir, "short", target.url, { duration: "1s", qps: 10 }), "utf8");
    const long = await readFile(await writeExperiment(dir, "long", target.url, { duration: "30s", qps: 10 }), "utf8");
    const submit = (text: string, name: string) => ({ experimentYaml: text, sourceName: `${name}.yaml`, overrides: [] });

    const first = await startCoordinator([], { stateDir, localAgents: 1 });
    const client = await first.client();
    const done = (await client.submit(submit(short, "short"))).experiment!;
    await waitForState(client, done.id, ["EXPERIMENT_STATE_COMPLETED"]);
    const resultBefore = (await client.get(done.id)).resultJson;
    const running = (await client.submit(submit(long, "long"))).experiment!;
    const queued1 = (await client.submit(submit(short, "short"))).experiment!;
    const queued2 = (await client.submit(submit(short, "short"))).experiment!;
    await waitForState(client, running.id, ["EXPERIMENT_STATE_RUNNING"]);
    const queuedBefore = await client.get(queued2.id);
    assert.equal(queuedBefore.experiment?.queuePosition, 2);
    assert.equal(await first.stop(), 0, first.handle.stderr());

    const second = await startCoordinator([], { stateDir, localAgents: 1 });
    const again = await second.client();
    const listed = (await again.list()).experiments.map((e) => e.id);
    for (const id of [done.id, running.id, queued1.id, queued2.id]) assert.ok(listed.includes(id), `${id} is still listed`);
    const finished = await again.get(done.id);
    assert.equal(finished.experiment?.state, "EXPERIMENT_STATE_COMPLETED");
    assert.equal(finished.resultJson, resultBefore, "the finished result is intact");
    const interrupted = await again.get(running.id);
    assert.equal(interrupted.experiment?.state, "EXPERIMENT_STATE_FAILED");
    assert.match(interrupted.experiment?.failure ?? "", /coordinator (shut down|restarted)/);
    for (const id of [queued1.id, queued2.id]) {
      const summary = await waitForState(again, id, ["EXPERIMENT_STATE_COMPLETED"], 30_000);
      assert.ok(summary.startedAtMs > 0);
    }
    const order = await Promise.all([queued1.id, queued2.id].map(async (id) => (await again.get(id)).experiment!.startedAtMs));
    assert.ok(order[0]! <= order[1]!, "queued experiments run in submission order");
    await second.stop();
  });
});
