import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { api } from "../../../core/index.js";
import { cleanupAll, makeTempDir, startHttpTarget, waitUntil } from "../../harness/index.js";
import type { HttpTarget } from "../../harness/index.js";
import { assay, collect, startCoordinator, waitForState, writeExperiment } from "./support.js";
import type { CoordinatorProcess } from "./support.js";

const kindOf = (event: api.WatchEvent__Output): string => event.kind ?? "?";

describe("coordinator API with local agents", { timeout: 90_000 }, () => {
  let target: HttpTarget;
  let coordinator: CoordinatorProcess;
  let dir: string;

  before(async () => {
    dir = await makeTempDir("api-watch");
    target = await startHttpTarget({ delayMs: 1 });
    const config = join(dir, "coordinator.yaml");
    await writeFile(config, `allowedTargets: ["127.0.0.1"]\nlimits: { maxQps: 200, maxDuration: 1m }\n`);
    coordinator = await startCoordinator(["--config", config]);
  });
  after(async () => {
    await coordinator?.stop();
    await cleanupAll();
  });

  it("gives two early watchers and a late one the same numbered events", async () => {
    const client = await coordinator.client();
    const file = await writeExperiment(dir, "watched", target.url, { duration: "3s", qps: 20 });
    const { experiment } = await client.submit({ experimentYaml: await readFile(file, "utf8"), sourceName: "watched.yaml", overrides: [] });
    assert.ok(experiment);
    const first = collect(client.watch(experiment.id));
    const second = collect((await coordinator.client()).watch(experiment.id));
    let metricsSeen = 0;
    let lateStarted: Promise<api.WatchEvent__Output[]> | undefined;
    const lateClient = await coordinator.client();
    const withLate = collect(client.watch(experiment.id), (event) => {
      if (event.metrics) metricsSeen++;
      if (metricsSeen === 2 && !lateStarted) lateStarted = collect(lateClient.watch(experiment.id));
    });
    const [a, b, probe] = await Promise.all([first, second, withLate]);
    assert.ok(lateStarted, "the late watcher joined while the load ran");
    const late = await lateStarted;

    for (const events of [a, b, probe, late]) {
      assert.ok(events[0]?.snapshot, "every watch starts with a snapshot");
      assert.equal(kindOf(events.at(-1)!), "completed");
      const seqs = events.slice(1).map((e) => e.seq);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), "seqs increase");
      assert.equal(new Set(seqs).size, seqs.length, "no seq twice");
    }
    const after = (events: api.WatchEvent__Output[], seq: number) => events.filter((e) => !e.snapshot && e.seq > seq).map((e) => `${e.seq}:${kindOf(e)}`);
    const lateSnapshotSeq = late[0]!.seq;
    assert.ok(lateSnapshotSeq > 0);
    assert.ok(late[0]!.snapshot!.metrics, "the late snapshot carries the merged metrics so far");
    assert.deepEqual(after(late, lateSnapshotSeq), after(a, lateSnapshotSeq));
    assert.deepEqual(after(b, lateSnapshotSeq), after(a, lateSnapshotSeq));
    const metrics = a.filter((e) => e.metrics);
    assert.ok(metrics.length >= 3, `one metrics snapshot per interval (got ${metrics.length})`);
    const lastMetrics = metrics.at(-1)!.metrics!;
    assert.deepEqual(lastMetrics.versions.map((v) => v.version).sort(), ["v1", "v2"]);
    assert.ok(lastMetrics.versions.every((v) => v.requests > 0 && v.latencyP99Ms >= v.latencyP50Ms));
    assert.ok(a.some((e) => e.assessment && e.assessment.slos.length === 1));
    assert.equal(a.at(-1)!.completed!.experiment!.state, "EXPERIMENT_STATE_COMPLETED");

    // Resume: from a seq in the middle, the same events follow.
    const middle = a[Math.floor(a.length / 2)]!.seq;
    const resumed = await collect(client.watch(experiment.id, middle));
    assert.deepEqual(resumed.map((e) => `${e.seq}:${kindOf(e)}`), after(a, middle - 1));
  });

  it("cancels a running experiment within about a second and keeps its counts", async () => {
    const client = await coordinator.client();
    const file = await writeExperiment(dir, "long", target.url, { duration: "30s", qps: 20 });
    const submitted = await assay(["submit", file, "--coordinator", coordinator.address]);
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();
    let requests = 0;
    const watching = collect(client.watch(id), (event) => {
      if (event.metrics) requests = event.metrics.versions.reduce((sum, v) => sum + v.requests, 0);
    });
    await waitUntil(() => requests > 10, { timeoutMs: 15_000, what: "load to be measured" });
    const servedBefore = target.served();
    const startedMs = Date.now();
    const reply = await client.cancel(id, "test cancel");
    const elapsedMs = Date.now() - startedMs;
    assert.equal(reply.experiment?.state, "EXPERIMENT_STATE_CANCELLED");
    assert.ok(elapsedMs < 4000, `cancel took ${elapsedMs} ms`);
    await watching;
    const servedAtCancel = target.served();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.ok(target.served() - servedAtCancel <= 5, "no load after the cancel");
    const got = await client.get(id);
    const result = JSON.parse(got.resultJson) as { incomplete: boolean; metrics: Record<string, Record<string, number>> };
    assert.equal(result.incomplete, true);
    assert.ok((result.metrics["v1"]?.["http/request-count"] ?? 0) > 0, "what was measured is kept");
    assert.ok(servedBefore > 0);
  });

  it("refuses a target off the allow-list and a rate over the cap, naming the field", async () => {
    const offList = await writeExperiment(dir, "offlist", "http://10.9.8.7/");
    const refused = await assay(["submit", offList, "--coordinator", coordinator.address]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /TARGET_NOT_ALLOWED/);
    assert.match(refused.stderr, /spec\[0\]\.with\.versions\[0\]\.url/);

    const fast = await writeExperiment(dir, "fast", target.url, { qps: 150 });
    const capped = await assay(["submit", fast, "--coordinator", coordinator.address]);
    assert.equal(capped.code, 2, capped.stderr);
    assert.match(capped.stderr, /LIMIT_EXCEEDED/);
    assert.match(capped.stderr, /spec\[0\]\.with\.qps/);
    assert.match(capped.stderr, /maxQps 200/);

    const broken = join(dir, "broken.yaml");
    await writeFile(broken, "spec:\n  - task: http\n    with:\n      qps: fast\n");
    const invalid = await assay(["submit", broken, "--coordinator", coordinator.address]);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /broken\.yaml:4:\d+/);

    const missing = await assay(["get", "nope-000000", "--coordinator", coordinator.address]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /NOT_FOUND/);
  });

  it("lists agents and experiments, and reports by ID", async () => {
    const agents = await assay(["agents", "-o", "json", "--coordinator", coordinator.address]);
    assert.equal(agents.code, 0, agents.stderr);
    assert.equal((JSON.parse(agents.stdout) as { agents: unknown[] }).agents.length, 2);
    const client = await coordinator.client();
    const list = await client.list();
    const done = list.experiments.find((e) => e.name === "watched");
    assert.ok(done);
    const report = await assay(["assert", done.id, "-c", "completed", "--coordinator", coordinator.address]);
    assert.equal(report.code, 0, report.stderr);
    await waitForState(client, done.id, ["EXPERIMENT_STATE_COMPLETED"]);
  });
});
