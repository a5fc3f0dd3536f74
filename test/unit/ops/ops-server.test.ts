import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { isAssayError, silentLogger } from "../../../core/index.js";
import { createAgentMetrics, createCoordinatorMetrics, parseListenAddress, startOpsServer } from "../../../ops/index.js";

describe("ops server", () => {
  it("answers /healthz, flips /readyz with ready() and serves the coordinator metrics", async (t) => {
    const registry = new Registry();
    const metrics = createCoordinatorMetrics(registry, { processMetrics: false });
    let ready = false;
    const server = await startOpsServer({ port: 0, logger: silentLogger(), registry, ready: () => ready });
    t.after(() => server.close());

    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), "ok\n");

    assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
    ready = true;
    const readyAnswer = await fetch(`${server.url}/readyz`);
    assert.equal(readyAnswer.status, 200);
    assert.equal(await readyAnswer.text(), "ready\n");

    metrics.agentsConnected.set(3);
    metrics.experimentsRunning.inc();
    metrics.reportsMerged.inc(7);
    metrics.mergeLagSeconds.observe(0.2);
    metrics.errors.inc({ kind: "transport" });
    const scrape = await fetch(`${server.url}/metrics`);
    assert.equal(scrape.status, 200);
    assert.match(scrape.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await scrape.text();
    assert.match(text, /^assay_coordinator_agents_connected 3$/m);
    assert.match(text, /^assay_coordinator_experiments_running 1$/m);
    assert.match(text, /^assay_coordinator_reports_merged_total 7$/m);
    assert.match(text, /^assay_coordinator_merge_lag_seconds_bucket\{le="0.25"\} 1$/m);
    assert.match(text, /^assay_coordinator_merge_lag_seconds_count 1$/m);
    assert.match(text, /^assay_coordinator_errors_total\{kind="transport"\} 1$/m);
  });

  it("serves the agent metrics with process metrics, and 404/405 elsewhere", async (t) => {
    const registry = new Registry();
    const metrics = createAgentMetrics(registry);
    const server = await startOpsServer({ port: 0, logger: silentLogger(), registry, ready: () => true });
    t.after(() => server.close());
    metrics.requestsSent.inc({ class: "2xx" }, 10);
    metrics.requestsSent.inc({ class: "error" });
    metrics.coordinatorConnected.set(1);
    metrics.deadManStops.inc();
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /^assay_agent_requests_sent_total\{class="2xx"\} 10$/m);
    assert.match(text, /^assay_agent_requests_sent_total\{class="error"\} 1$/m);
    assert.match(text, /^assay_agent_coordinator_connected 1$/m);
    assert.match(text, /^assay_agent_dead_man_stops_total 1$/m);
    assert.match(text, /^# TYPE assay_agent_shards_running gauge$/m);
    assert.match(text, /^assay_agent_process_resident_memory_bytes \d+/m);

    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
    const post = await fetch(`${server.url}/healthz`, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
  });

  it("answers not ready when ready() throws", async (t) => {
    const server = await startOpsServer({
      port: 0,
      logger: silentLogger(),
      registry: new Registry(),
      ready: () => {
        throw new Error("store unavailable");
      },
    });
    t.after(() => server.close());
    assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  it("rejects with a configuration error when the port is taken", async (t) => {
    const first = await startOpsServer({ port: 0, logger: silentLogger(), registry: new Registry(), ready: () => true });
    t.after(() => first.close());
    await assert.rejects(
      startOpsServer({ port: first.port, logger: silentLogger(), registry: new Registry(), ready: () => true }),
      (error: unknown) => isAssayError(error) && error.code === "CLI_BAD_FLAG" && /cannot listen/.test(error.message),
    );
  });
});

describe("parseListenAddress", () => {
  it("accepts PORT, :PORT, HOST:PORT and [IPv6]:PORT", () => {
    assert.deepEqual(parseListenAddress("9464"), { host: "127.0.0.1", port: 9464 });
    assert.deepEqual(parseListenAddress(":9464", "0.0.0.0"), { host: "0.0.0.0", port: 9464 });
    assert.deepEqual(parseListenAddress("0.0.0.0:9464"), { host: "0.0.0.0", port: 9464 });
    assert.deepEqual(parseListenAddress("[::]:9464"), { host: "::", port: 9464 });
  });

  it("refuses malformed addresses", () => {
    for (const bad of ["", "host", "host:", "1.2.3.4:70000", "a:b:9"]) {
      assert.throws(() => parseListenAddress(bad), (error: unknown) => isAssayError(error) && error.code === "CLI_BAD_FLAG", bad);
    }
  });
});
