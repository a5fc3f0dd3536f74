import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { LoopRecord, ResultDocument } from "../../../core/index.js";
import { cleanupAll, makeTempDir, startHttpTarget, waitUntil } from "../../harness/index.js";
import type { HttpTarget } from "../../harness/index.js";
import { assay, collect, startCoordinator, waitForState, writeExperiment } from "./support.js";
import type { CoordinatorProcess } from "./support.js";

describe("looped and scheduled experiments in the coordinator service", { timeout: 120_000 }, () => {
  let target: HttpTarget;
  let coordinator: CoordinatorProcess;
  let dir: string;

  before(async () => {
    dir = await makeTempDir("api-loops");
    target = await startHttpTarget();
    const config = join(dir, "coordinator.yaml");
    await writeFile(config, `allowedTargets: ["127.0.0.1"]\nconcurrency: 1\n`);
    coordinator = await startCoordinator(["--config", config]);
  });
  after(async () => {
    await coordinator?.stop();
    await cleanupAll();
  });

  it("runs a --schedule experiment N times, gives up its slot between loops, and keeps every loop", async () => {
    const file = await writeExperiment(dir, "scheduled", target.url, { duration: "500ms", qps: 20 });
    const submitted = await assay(["submit", file, "--coordinator", coordinator.address, "--schedule", "*/3 * * * * *", "--loops", "3", "-o", "json"]);
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = (JSON.parse(submitted.stdout) as { submitted: { id: string } }).submitted.id;
    const client = await coordinator.client();
    // From seq 1: the ring still holds the first loop's events however late this watch starts.
    const watched = collect(client.watch(id, 1));
    // With concurrency 1, a one-off experiment submitted now runs between the scheduled loops.
    const oneOff = await writeExperiment(dir, "one-off", target.url, { duration: "300ms", qps: 20 });
    const { experiment } = await client.submit({ experimentYaml: await readFile(oneOff, "utf8"), sourceName: "one-off.yaml", overrides: [], loops: 0, interval: "", schedule: "" });
    assert.ok(experiment);
    await waitForState(client, experiment.id, ["EXPERIMENT_STATE_COMPLETED"], 30_000);
    const scheduledMeanwhile = (await client.get(id)).experiment;
    assert.equal(scheduledMeanwhile?.state, "EXPERIMENT_STATE_RUNNING", "the scheduled experiment was still between loops");

    const final = await waitForState(client, id, ["EXPERIMENT_STATE_COMPLETED", "EXPERIMENT_STATE_FAILED", "EXPERIMENT_STATE_CANCELLED"], 60_000);
    assert.equal(final.state, "EXPERIMENT_STATE_COMPLETED", final.failure);
    const events = await watched;
    const loopEvents = events.filter((e) => e.loopStarted || e.loopFinished).map((e) => (e.loopStarted ? `started ${e.loopStarted.loop}/${e.loopStarted.loops}` : `finished ${e.loopFinished?.loop}`));
    assert.deepEqual(loopEvents, ["started 1/3", "finished 1", "started 2/3", "finished 2", "started 3/3", "finished 3"]);
    const record = JSON.parse(events.find((e) => e.loopFinished?.loop === 2)?.loopFinished?.recordJson ?? "{}") as LoopRecord;
    assert.equal(record.loop, 2);
    assert.ok((record.metrics["v1"]?.["http/request-count"] ?? 0) > 0);

    const got = await assay(["get", id, "--coordinator", coordinator.address, "-o", "json"]);
    const result = (JSON.parse(got.stdout) as { result: ResultDocument }).result;
    assert.equal(result.numLoops, 3);
    assert.equal(result.loops?.length, 3);
    const starts = (result.loops ?? []).map((loop) => Date.parse(loop.startTime));
    // Loops 2 and 3 start on the schedule's matches (every third second).
    for (const start of starts.slice(1)) assert.ok(Math.floor(start / 1000) % 3 === 0 && start % 1000 < 900, `loop started at ${new Date(start).toISOString()}`);
    const text = await assay(["get", id, "--coordinator", coordinator.address]);
    assert.match(text.stdout, /Loops: 3 run/);
  });

  it("an unbounded schedule runs until cancelled and keeps what it measured", async () => {
    const file = await writeExperiment(dir, "forever", target.url, { duration: "300ms", qps: 20 });
    const client = await coordinator.client();
    const { experiment } = await client.submit({ experimentYaml: await readFile(file, "utf8"), sourceName: "forever.yaml", overrides: [], loops: 0, interval: "", schedule: "*/2 * * * * *" });
    assert.ok(experiment);
    let loopsDone = 0;
    const watched = collect(client.watch(experiment.id), (event) => {
      if (event.loopFinished) loopsDone = event.loopFinished.loop;
      if (event.loopStarted) assert.equal(event.loopStarted.loops, 0, "no planned end");
    });
    await waitForState(client, experiment.id, ["EXPERIMENT_STATE_RUNNING"]);
    await waitUntil(() => loopsDone >= 2, { timeoutMs: 30_000, what: "two loops" });
    const cancelled = await assay(["cancel", experiment.id, "--coordinator", coordinator.address]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    await watched;
    const result = JSON.parse((await client.get(experiment.id)).resultJson) as ResultDocument;
    assert.ok((result.loops?.length ?? 0) >= 2);
    assert.equal(result.incomplete, true);
  });

  it("refuses --interval with --schedule before anything is queued", async () => {
    const file = await writeExperiment(dir, "bad", target.url);
    const run = await assay(["submit", file, "--coordinator", coordinator.address, "--schedule", "* * * * *", "--interval", "10s"]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--interval and --schedule/);
  });
});
