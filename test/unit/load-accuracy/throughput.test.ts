/**
 * http/throughput is each series' requests over its own measured span, on the coordinator's clock:
 * agents' clock offsets applied, warm-up excluded, and per version (a faster version that finishes
 * sooner shows more throughput).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeAgents, httpTarget, run } from "./support.js";

test("throughput with two agents whose clocks differ by 3 s (offset correctly estimated) is still ~qps", async (t) => {
  const target = await httpTarget(t);
  const link = fakeAgents(t, [{ id: "a" }, { id: "b", skewMs: 3000 }]);
  const yaml = `
name: throughput-skew
spec:
  - task: http
    with:
      url: ${target.url}
      duration: 2s
      qps: 20
      connections: 2
`;
  const result = await run(link, yaml, 500);
  const metrics = result.metrics["default"] ?? {};
  const count = metrics["http/request-count"] ?? 0;
  const throughput = metrics["http/throughput"] ?? 0;
  assert.ok(count >= 30 && count <= 50, `about 40 requests, got ${count}`);
  assert.ok(result.load, "load summary");
  assert.ok(throughput > 15, `throughput should be ~20 qps, got ${throughput} (durationMs ${result.load?.durationMs})`);
  assert.ok((result.load?.startSkewMs ?? 0) < 1000, `start skew should be small (agents started together), got ${result.load?.startSkewMs} ms`);
});

test("throughput does not count the warm-up in its duration", async (t) => {
  const target = await httpTarget(t);
  const link = fakeAgents(t, [{ id: "a" }]);
  const yaml = `
name: throughput-warmup
spec:
  - task: http
    with:
      url: ${target.url}
      duration: 2s
      warmupDuration: 2s
      qps: 20
      connections: 2
`;
  const result = await run(link, yaml, 500);
  const metrics = result.metrics["default"] ?? {};
  const count = metrics["http/request-count"] ?? 0;
  const throughput = metrics["http/throughput"] ?? 0;
  assert.ok(count >= 30 && count <= 50, `about 40 measured requests, got ${count}`);
  assert.ok(throughput > 15, `throughput should be ~20 qps, got ${throughput} (durationMs ${result.load?.durationMs})`);
});

test("numRequests mode: a version that finishes 10x faster has a higher throughput than a slow one", async (t) => {
  const fast = await httpTarget(t);
  const slow = await httpTarget(t, { delayMs: 50 });
  const link = fakeAgents(t, [{ id: "a" }]);
  const yaml = `
name: throughput-ab-throughput
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
`;
  const result = await run(link, yaml, 500);
  const fastQps = result.metrics["fast"]?.["http/throughput"] ?? 0;
  const slowQps = result.metrics["slow"]?.["http/throughput"] ?? 0;
  assert.equal(result.metrics["fast"]?.["http/request-count"], 40);
  assert.equal(result.metrics["slow"]?.["http/request-count"], 40);
  assert.ok(fastQps > 2 * slowQps, `fast ${fastQps} qps vs slow ${slowQps} qps (slow target: 50 ms per request, one connection)`);
});
