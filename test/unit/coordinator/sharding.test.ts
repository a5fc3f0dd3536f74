import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { participants, planShards, selectAgents, splitInteger, splitRate } from "../../../coordinator/index.js";
import type { AgentInfo, HttpTaskSpec } from "../../../core/index.js";

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

describe("splitInteger", () => {
  it("sums exactly to the total for awkward totals and weights", () => {
    for (const total of [0, 1, 7, 100, 101, 999_983]) {
      for (const weights of [[1], [1, 1], [1, 1, 1], [3, 1, 2], [5, 7, 11, 13], [1, 100]]) {
        const shares = splitInteger(total, weights);
        assert.equal(sum(shares), total, `total ${total} weights ${weights.join(",")}`);
        assert.ok(shares.every((s) => Number.isInteger(s) && s >= 0));
      }
    }
  });

  it("is proportional within one request and deterministic", () => {
    assert.deepEqual(splitInteger(301, [1, 1, 1]), [101, 100, 100]);
    assert.deepEqual(splitInteger(10, [3, 1]), [8, 2]);
    assert.deepEqual(splitInteger(10, [3, 1]), splitInteger(10, [3, 1]));
  });

  it("rejects a negative or fractional total", () => {
    assert.throws(() => splitInteger(-1, [1]), RangeError);
    assert.throws(() => splitInteger(1.5, [1]), RangeError);
  });
});

describe("splitRate", () => {
  it("splits in proportion and sums to the total", () => {
    const shares = splitRate(5000, [1, 1, 1]);
    assert.ok(Math.abs(sum(shares) - 5000) < 1e-9);
    assert.ok(Math.abs((shares[0] ?? 0) - 5000 / 3) < 1e-9);
  });
});

describe("participants", () => {
  it("never exceeds connections or requests", () => {
    assert.equal(participants(8, 4, 100), 4);
    assert.equal(participants(8, 50, 3), 3);
    assert.equal(participants(2, 50, undefined), 2);
  });
});

function agent(id: string, capacity = 1, labels: Record<string, string> = {}): AgentInfo {
  return { id, capacity, labels, version: "test" };
}

function httpSpec(overrides: Partial<HttpTaskSpec> = {}): HttpTaskSpec {
  const request = { url: "http://127.0.0.1:1/", method: "GET", headers: {}, body: undefined, contentType: undefined };
  return {
    task: "http",
    versions: [
      { name: "v1", request, endpoints: {} },
      { name: "v2", request, endpoints: {} },
    ],
    numRequests: 301,
    durationMs: undefined,
    qps: 90,
    connections: 4,
    loadModel: "open",
    stages: [],
    errorRanges: [],
    percentiles: [50, 99],
    warmupNumRequests: 10,
    warmupDurationMs: undefined,
    timeoutMs: 30_000,
    agents: undefined,
    insecureSkipVerify: false,
    followRedirects: false,
    ...overrides,
  };
}

describe("planShards", () => {
  const series = (spec: HttpTaskSpec) => spec.versions.map((v) => ({ version: v.name, endpoint: "", request: v.request }));

  it("conserves requests, warm-up, connections and rate per series across agents", () => {
    const spec = httpSpec();
    const agents = [agent("a"), agent("b"), agent("c")];
    const shards = planShards(spec, series(spec), agents, "run", 1000);
    for (const version of ["v1", "v2"]) {
      const loads = shards.flatMap((s) => (s.spec.series ?? []).filter((l) => l.version === version));
      assert.equal(sum(loads.map((l) => Number(l.numRequests))), 301);
      assert.equal(sum(loads.map((l) => Number(l.warmupNumRequests))), 10);
      assert.equal(sum(loads.map((l) => Number(l.connections))), 4);
      assert.ok(Math.abs(sum(loads.map((l) => Number(l.model?.open?.qps))) - 90) < 1e-9);
      assert.ok(loads.every((l) => Number(l.connections) >= 1 && Number(l.numRequests) >= 1));
    }
    assert.ok(shards.every((s) => s.spec.durationMs === 0), "numRequests mode has no duration");
  });

  it("gives no agent an empty numRequests share (which would mean duration mode)", () => {
    const spec = httpSpec({ numRequests: 2, connections: 8 });
    const shards = planShards(spec, series(spec), [agent("a"), agent("b"), agent("c"), agent("d")], "run", 1000);
    const loads = shards.flatMap((s) => s.spec.series ?? []);
    assert.ok(loads.every((l) => Number(l.numRequests) > 0));
    assert.equal(sum(loads.filter((l) => l.version === "v1").map((l) => Number(l.numRequests))), 2);
  });

  it("weights shares by capacity", () => {
    const spec = httpSpec({ versions: [httpSpec().versions[0]!], numRequests: 400, connections: 8 });
    const shards = planShards(spec, series(spec), [agent("a", 3), agent("b", 1)], "run", 1000);
    const byAgent = Object.fromEntries(shards.map((s) => [s.agent.id, Number(s.spec.series?.[0]?.numRequests)]));
    assert.deepEqual(byAgent, { a: 300, b: 100 });
  });

  it("uses the closed model's rate cap and duration mode", () => {
    const spec = httpSpec({ loadModel: "closed", numRequests: undefined, durationMs: 5000, qps: 8 });
    const shards = planShards(spec, series(spec), [agent("a"), agent("b")], "run", 1000);
    const loads = shards.flatMap((s) => s.spec.series ?? []);
    assert.ok(Math.abs(sum(loads.filter((l) => l.version === "v1").map((l) => Number(l.model?.closed?.maxQps))) - 8) < 1e-9);
    assert.ok(shards.every((s) => s.spec.durationMs === 5000));
  });
});

describe("selectAgents", () => {
  const fleet = [agent("b", 1, { zone: "x" }), agent("a", 1, { zone: "y" }), agent("c", 1, { zone: "x" })];
  it("selects by count and by labels", () => {
    assert.deepEqual(selectAgents(fleet, { kind: "count", count: 2 }).map((a) => a.id), ["a", "b"]);
    assert.deepEqual(selectAgents(fleet, { kind: "selector", labels: { zone: "x" } }).map((a) => a.id), ["b", "c"]);
  });
  it("fails clearly with no agents or none matching", () => {
    assert.throws(() => selectAgents([], undefined), /no agents are available/);
    assert.throws(() => selectAgents(fleet, { kind: "selector", labels: { zone: "z" } }), /no agent matches the selector zone=z/);
    assert.throws(() => selectAgents(fleet, { kind: "count", count: 5 }), /asks for 5 agents but only 3/);
  });
});
