import assert from "node:assert/strict";
import { it } from "node:test";
import { remainderShards } from "../../../coordinator/index.js";
import type { AgentInfo, SeriesStatsInit, ShardSpecInit } from "../../../core/index.js";

const agent = (id: string, capacity = 1): AgentInfo => ({ id, capacity, labels: {}, version: "t" });
const key = (version: string, endpoint = ""): string => `${version}\u0000${endpoint}`;

void it("numRequests: survivors get exactly what the lost shard's merged reports did not count, per series", () => {
  const spec: ShardSpecInit = {
    durationMs: 0,
    series: [
      { version: "v1", request: { url: "http://127.0.0.1:1/" }, model: { open: { qps: 30 } }, numRequests: 300, connections: 3 },
      { version: "v2", request: { url: "http://127.0.0.1:1/" }, model: { open: { qps: 30 } }, numRequests: 100, connections: 2 },
    ],
  };
  const counted = new Map<string, SeriesStatsInit>([
    [key("v1"), { requests: 120, dropped: 3 }],
    [key("v2"), { requests: 100 }],
  ]);
  const parts = remainderShards(spec, counted, [agent("a"), agent("b", 2)], { startAtMs: 0, nowMs: 5000 });
  const v1 = parts.flatMap((p) => (p.spec.series ?? []).filter((s) => s.version === "v1"));
  assert.equal(v1.reduce((sum, s) => sum + Number(s.numRequests), 0), 300 - 123, "the remainder is exact");
  assert.deepEqual(v1.map((s) => s.numRequests), [59, 118], "split by capacity 1:2");
  assert.ok(!parts.some((p) => (p.spec.series ?? []).some((s) => s.version === "v2")), "a finished series is not re-run");
  assert.ok(Math.abs(v1.reduce((sum, s) => sum + Number(s.model?.open?.qps), 0) - 30) < 1e-9, "the lost rate is restored");
});

void it("duration: survivors get the lost rate for the time left, nothing when the time is up", () => {
  const spec: ShardSpecInit = {
    durationMs: 10_000,
    series: [{ version: "v1", request: { url: "http://127.0.0.1:1/" }, model: { closed: { maxQps: 40 } }, numRequests: 0, connections: 4 }],
  };
  const parts = remainderShards(spec, undefined, [agent("a"), agent("b")], { startAtMs: 1000, nowMs: 5000 });
  assert.equal(parts.length, 2);
  for (const part of parts) assert.equal(part.spec.durationMs, 6000);
  assert.equal(parts.reduce((sum, p) => sum + Number(p.spec.series?.[0]?.model?.closed?.maxQps), 0), 40);
  assert.equal(parts.reduce((sum, p) => sum + Number(p.spec.series?.[0]?.connections), 0), 4);
  assert.deepEqual(remainderShards(spec, undefined, [agent("a")], { startAtMs: 0, nowMs: 10_000 }), []);
});
