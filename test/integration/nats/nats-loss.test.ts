/**
 * When NATS itself dies mid-run: the run ends within 10 s with a transport error instead of
 * waiting forever for a server that does not come back, and keeps what it measured; `assay run
 * --nats` in that state answers SIGTERM, prints and stores the partial result, and exits.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ErrorCode } from "../../../core/index.js";
import type { ResultDocument } from "../../../core/index.js";
import { cleanupAll, makeTempDir, startHttpTarget, startNatsServer, startProcess, teardown, waitUntil } from "../../harness/index.js";
import { cliCommand, httpExperiment, requestCount, runYaml, startAgents, startCoordinator } from "./support.js";

after(cleanupAll);

void describe("NATS lost mid-run", { timeout: 120_000 }, () => {
  void it("the run ends within 10 s with a transport error and keeps the partial counts", async (t) => {
    const fixtures = teardown(t);
    const target = await startHttpTarget({ delayMs: 1 });
    fixtures.defer(() => target.close());
    const nats = await startNatsServer();
    fixtures.defer(() => nats.stop());
    const agents = await startAgents(nats.url, ["l1", "l2"]);
    fixtures.defer(() => Promise.all(agents.map((a) => a.handle.stop())));
    const coordinator = await startCoordinator(nats.url, 2);
    fixtures.defer(() => coordinator.link.close());

    let merged = 0;
    const running = runYaml(coordinator.link, httpExperiment(target.url, { durationS: 60, qps: 100, connections: 2 }), (event) => {
      if (event.type === "task-event" && event.event.type === "snapshot") merged = Math.max(merged, event.event.data.versions.reduce((sum, v) => sum + v.requests, 0));
    });
    // Kill NATS once the coordinator has merged reports (not only once the target served requests).
    await waitUntil(() => merged > 100, { timeoutMs: 20_000, what: "reports of more than 100 requests to be merged" });
    nats.kill();
    const killedAtMs = Date.now();
    const result = await running;
    const tookMs = Date.now() - killedAtMs;

    assert.ok(tookMs < 10_000, `the run ended ${tookMs} ms after NATS died`);
    assert.equal(result.tasks[0]?.status, "failed");
    assert.equal(result.tasks[0]?.error?.code, ErrorCode.LinkClosed);
    assert.match(result.failure ?? "", /lost the link to the agents/);
    assert.equal(result.incomplete, true, "the result says the load was cut short");
    const counted = requestCount(result) ?? 0;
    assert.ok(counted >= merged, `the requests merged before NATS died are kept (${counted} of ${merged})`);
    assert.ok(counted <= target.served(), `no request is counted that the target did not serve (${counted} > ${target.served()})`);
    // The shards never finished: the conservation check says so, and finds nothing else wrong.
    const mismatches = result.load?.conservation.mismatches ?? [];
    assert.ok(mismatches.length > 0 && mismatches.every((m) => /no ShardDone received/.test(m)), mismatches.join("; "));
    assert.ok((result.load?.events ?? []).some((e) => e.type === "degraded" && /lost the link/.test(e.message)), "the result's events say why");
  });

  void it("`assay run --nats` answers SIGTERM while NATS is gone: prints and stores what it measured, then exits", async (t) => {
    const fixtures = teardown(t);
    const target = await startHttpTarget({ delayMs: 1 });
    fixtures.defer(() => target.close());
    const nats = await startNatsServer();
    fixtures.defer(() => nats.stop());
    const agents = await startAgents(nats.url, ["s1", "s2"]);
    fixtures.defer(() => Promise.all(agents.map((a) => a.handle.stop())));
    const dir = await makeTempDir("assay-nats-loss");
    const file = join(dir, "experiment.yaml");
    await writeFile(file, httpExperiment(target.url, { durationS: 60, qps: 100, connections: 2 }));
    const out = join(dir, "result.json");

    const { command, args } = cliCommand();
    const cli = await startProcess(command, [...args, "run", file, "--nats", nats.url, "--agents", "2", "--no-progress", "-o", "json", "--out", out], { name: "assay run --nats" });
    fixtures.defer(() => cli.stop("SIGKILL"));
    await waitUntil(() => target.served() > 200, { timeoutMs: 30_000, what: "load to be flowing" });
    nats.kill();
    await waitUntil(() => /disconnected from NATS/.test(cli.stderr()), { timeoutMs: 5000, what: "the CLI to notice" });
    const signalledAtMs = Date.now();
    cli.child.kill("SIGTERM");
    const code = await cli.exited;
    const tookMs = Date.now() - signalledAtMs;

    assert.ok(tookMs < 10_000, `exited ${tookMs} ms after SIGTERM`);
    assert.equal(code, 130, `exit code ${code}: interrupted (stderr: ${cli.stderr().slice(-1500)})`);
    const printed = JSON.parse(cli.stdout()) as ResultDocument;
    const stored = JSON.parse(await readFile(out, "utf8")) as ResultDocument;
    assert.deepEqual(stored, printed, "--out holds the printed result");
    assert.equal(printed.incomplete, true);
    assert.ok((requestCount(printed) ?? 0) > 100, `the requests measured before are kept (${requestCount(printed)})`);
  });
});
