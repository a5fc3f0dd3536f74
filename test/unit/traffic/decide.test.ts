import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideTraffic } from "../../../coordinator/actions/index.js";
import type { TrafficInput } from "../../../coordinator/actions/index.js";

const base: TrafficInput = {
  spec: { pattern: "progressive", maxIncrement: 10, onFinish: "promote", baseline: "v1" },
  versions: ["v1", "v2", "v3"],
  current: { v1: 80, v2: 10, v3: 10 },
  recommended: { v1: 10, v2: 45, v3: 45 },
  failing: new Set(),
  winner: null,
  last: false,
};

void describe("decideTraffic", () => {
  void it("steps each candidate by at most maxIncrement; the baseline takes the rest", () => {
    assert.deepEqual(decideTraffic(base).weights, { v1: 60, v2: 20, v3: 20 });
  });

  void it("moves down toward the target by at most maxIncrement too", () => {
    assert.deepEqual(decideTraffic({ ...base, current: { v1: 10, v2: 60, v3: 30 }, recommended: { v1: 40, v2: 30, v3: 30 } }).weights, { v1: 20, v2: 50, v3: 30 });
  });

  void it("sends a failing candidate to 0 at once", () => {
    const decision = decideTraffic({ ...base, current: { v1: 20, v2: 50, v3: 30 }, failing: new Set(["v2"]) });
    assert.deepEqual(decision.weights, { v1: 60, v2: 0, v3: 40 });
    assert.match(decision.reasons.join("\n"), /v2 fails an SLO: 0 at once \(was 50\)/);
  });

  void it("never gives candidates more than 100 together", () => {
    const weights = decideTraffic({ ...base, spec: { ...base.spec, maxIncrement: 100 }, current: { v1: 0, v2: 60, v3: 60 }, recommended: { v1: 0, v2: 70, v3: 70 } }).weights;
    assert.equal((weights["v1"] ?? 0) + (weights["v2"] ?? 0) + (weights["v3"] ?? 0), 100);
    assert.equal(weights["v1"], 0);
  });

  void it("onFinish after the last loop: promote the winner, else the baseline; rollback; keep steps", () => {
    assert.deepEqual(decideTraffic({ ...base, last: true, winner: "v3" }).weights, { v1: 0, v2: 0, v3: 100 });
    assert.deepEqual(decideTraffic({ ...base, last: true, winner: "v3", failing: new Set(["v3"]) }).weights, { v1: 100, v2: 0, v3: 0 });
    assert.deepEqual(decideTraffic({ ...base, last: true, spec: { ...base.spec, onFinish: "rollback" }, winner: "v3" }).weights, { v1: 100, v2: 0, v3: 0 });
    const keep = decideTraffic({ ...base, last: true, spec: { ...base.spec, onFinish: "keep" } });
    assert.equal(keep.action, "keep");
    assert.deepEqual(keep.weights, { v1: 60, v2: 20, v3: 20 });
  });
});
