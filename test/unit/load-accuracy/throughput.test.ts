/**
 * Review: http/throughput is computed over merger.timeSpan(), i.e. from ShardDone.startedAtMs /
 * finishedAtMs, which are the agents' own wall clocks and include the warm-up.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runExperiment } from "../../../coordinator/index.js";
import { silentLogger } from "../../../core/index.js";
import { startHttpTarget } from "../../harness/index.js";
import { FakeLink, experiment } from "./support.js";

test("throughput with two agents whose clocks differ by 3 s (offset correctly estimated) is still ~qps", async (t) => {
  const target = await startHttpTarget();
  t.after(() => target.close());
  const link = new FakeLink([{ id: "a" }, { id: "b", skewMs: 3000 }]);
  t.after(() => link.close());
  const exp = experiment(`
name: review-skew
spec:
  - task: http
    with:
      url: ${target.url}
      duration: 2s
      qps: 20
      connections: 2
`);
  const result = await runExperiment(exp, { link, logger: silentLogger(), reportIntervalMs: 500 });
  const metrics = result.metrics["default"] ?? {};
  const count = metrics["http/request-count"] ?? 0;
  const throughput = metrics["http/throughput"] ?? 0;
  assert.ok(count >= 30 && count <= 50, `about 40 requests, got ${count}`);
  assert.ok(result.load, "load summary");
  assert.ok(throughput > 15, `throughput should be ~20 qps, got ${throughput} (durationMs ${result.load?.durationMs})`);
  assert.ok((result.load?.startSkewMs ?? 0) < 1000, `start skew should be small (agents started together), got ${result.load?.startSkewMs} ms`);
});

test("throughput does not count the warm-up in its duration", async (t) => {
  const target = await startHttpTarget();
  t.after(() => target.close());
  const link = new FakeLink([{ id: "a" }]);
  t.after(() => link.close());
  const exp = experiment(`
name: review-warmup
spec:
  - task: http
    with:
      url: ${target.url}
      duration: 2s
      warmupDuration: 2s
      qps: 20
      connections: 2
`);
  const result = await runExperiment(exp, { link, logger: silentLogger(), reportIntervalMs: 500 });
  const metrics = result.metrics["default"] ?? {};
  const count = metrics["http/request-count"] ?? 0;
  const throughput = metrics["http/throughput"] ?? 0;
  assert.ok(count >= 30 && count <= 50, `about 40 measured requests, got ${count}`);
  assert.ok(throughput > 15, `throughput should be ~20 qps, got ${throughput} (durationMs ${result.load?.durationMs})`);
});

test("numRequests mode: a version that finishes 10x faster has a higher throughput than a slow one", async (t) => {
  const fast = await startHttpTarget();
  t.after(() => fast.close());
  const slow = await startHttpTarget({ delayMs: 50 });
  t.after(() => slow.close());
  const link = new FakeLink([{ id: "a" }]);
  t.after(() => link.close());
  const exp = experiment(`
name: review-ab-throughput
spec:
  - task: http
    with:
      versions:
        - name: fast
          url: ${fast.url}
        - name: slow
          url: ${slow.url}
      numRequests: 40
      qps: 0
      connections: 1
`);
  const result = await runExperiment(exp, { link, logger: silentLogger(), reportIntervalMs: 500 });
  const fastQps = result.metrics["fast"]?.["http/throughput"] ?? 0;
  const slowQps = result.metrics["slow"]?.["http/throughput"] ?? 0;
  assert.equal(result.metrics["fast"]?.["http/request-count"], 40);
  assert.equal(result.metrics["slow"]?.["http/request-count"], 40);
  assert.ok(fastQps > 2 * slowQps, `fast ${fastQps} qps vs slow ${slowQps} qps (slow target: 50 ms per request, one connection)`);
});
