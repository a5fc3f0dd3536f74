import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { evaluateSlos } from "../../../coordinator/index.js";
import type { AssessTaskSpec, ResultDocument } from "../../../core/index.js";

const spec: AssessTaskSpec = {
  task: "assess",
  slos: { upper: [{ metric: "http/latency-p95", limit: 100 }, { metric: "http/error-rate", limit: 0 }], lower: [{ metric: "http/throughput", limit: 50 }] },
  rewards: { max: [], min: [] },
  baseline: undefined,
  confidence: 0.95,
  options: {},
};

function result(metrics: ResultDocument["metrics"]): ResultDocument {
  return {
    schemaVersion: 1, name: "t", completed: false, failure: null, incomplete: false, startTime: "", numCompletedTasks: 0,
    versions: Object.keys(metrics), metrics, metricsInfo: {}, slos: [], tasks: [], histograms: {}, source: "t.yaml",
  };
}

describe("evaluateSlos (Iter8 semantics)", () => {
  it("upper means value ≤ limit, lower means value ≥ limit, limits inclusive", () => {
    const slos = evaluateSlos(spec, result({
      v1: { "http/latency-p95": 100, "http/error-rate": 0, "http/throughput": 50 },
      v2: { "http/latency-p95": 100.1, "http/error-rate": 0.02, "http/throughput": 49.9 },
    }));
    assert.deepEqual(slos.map((s) => [s.metric, s.direction, s.satisfied]), [
      ["http/latency-p95", "upper", { v1: true, v2: false }],
      ["http/error-rate", "upper", { v1: true, v2: false }],
      ["http/throughput", "lower", { v1: true, v2: false }],
    ]);
  });

  it("a missing metric fails the SLO and its value is null", () => {
    const slos = evaluateSlos(spec, result({ v1: { "http/error-rate": 0 } }));
    const p95 = slos.find((s) => s.metric === "http/latency-p95")!;
    assert.equal(p95.satisfied["v1"], false);
    assert.equal(p95.value["v1"], null);
  });
});
