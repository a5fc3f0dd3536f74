import assert from "node:assert/strict";
import { test } from "node:test";
import { assess, recommendSplit } from "../../../coordinator/assessment/index.js";
import type { AssessmentInput } from "../../../coordinator/assessment/index.js";

const total = (w: Record<string, number>): number => Object.values(w).reduce((s, x) => s + x, 0);

function conversionInput(data: Record<string, [number, number]>, options: AssessmentInput["options"] = {}): AssessmentInput {
  const versions = Object.keys(data);
  const samples: AssessmentInput["samples"] = Object.fromEntries(
    versions.map((v) => [v, { conversion: { type: "rate" as const, successes: data[v]![0], trials: data[v]![1] } }]),
  );
  const values = Object.fromEntries(versions.map((v) => [v, { conversion: data[v]![0] / data[v]![1] }]));
  return { versions, rewards: { max: ["conversion"], min: [] }, slos: { upper: [], lower: [] }, samples, values, options };
}

void test("weights are integers summing to exactly 100 with the floor respected", () => {
  const cases: Record<string, [number, number]>[] = [
    { a: [20, 200], b: [35, 200] },
    { a: [20, 200], b: [21, 200], c: [22, 200] },
    { a: [5, 1000], b: [9, 1000], c: [15, 1000], d: [7, 1000], e: [30, 1000], f: [1, 1000], g: [3, 1000] },
  ];
  for (const data of cases) {
    const a = assess(conversionInput(data));
    assert.equal(total(a.weights), 100, JSON.stringify(a.weights));
    for (const w of Object.values(a.weights)) {
      assert.ok(Number.isInteger(w) && w >= 5, `weight ${w} below the floor`);
    }
  }
});

void test("identical arms get equal weight", () => {
  const two = assess(conversionInput({ a: [30, 300], b: [30, 300] }));
  assert.deepEqual(two.weights, { a: 50, b: 50 });
  const four = assess(conversionInput({ a: [12, 100], b: [12, 100], c: [12, 100], d: [12, 100] }));
  assert.deepEqual(four.weights, { a: 25, b: 25, c: 25, d: 25 });
  const mixed = assess(conversionInput({ a: [10, 100], b: [14, 100], c: [14, 100], d: [18, 100] }));
  assert.equal(mixed.weights["b"], mixed.weights["c"]);
});

void test("permuting the arms permutes the split", () => {
  const data: Record<string, [number, number]> = { a: [20, 400], b: [31, 400], c: [26, 400], d: [29, 400] };
  const forward = assess(conversionInput(data));
  const reversed = assess(conversionInput(Object.fromEntries(Object.entries(data).reverse())));
  for (const v of Object.keys(data)) {
    assert.equal(reversed.weights[v], forward.weights[v], `weight of ${v}`);
    assert.ok(Math.abs((reversed.rewards["conversion"]!.versions[v]!.pBest) - forward.rewards["conversion"]!.versions[v]!.pBest) < 1e-12);
  }
});

void test("more successes never lower P(best) nor the weight", () => {
  let previousP = -1;
  let previousW = -1;
  for (let successes = 10; successes <= 40; successes += 2) {
    const a = assess(conversionInput({ a: [25, 250], b: [successes, 250], c: [28, 250] }));
    const p = a.rewards["conversion"]!.versions["b"]!.pBest;
    assert.ok(p >= previousP - 1e-12, `P(best) fell from ${previousP} to ${p} at ${successes} successes`);
    assert.ok(a.weights["b"]! >= previousW, `weight fell from ${previousW} to ${a.weights["b"]} at ${successes} successes`);
    previousP = p;
    previousW = a.weights["b"]!;
  }
  assert.ok(previousP > 0.9, "40/250 against 25 and 28 should be clearly best");
});

void test("the cap limits each increase relative to the current weights; decreases are free", () => {
  const a = assess(conversionInput({ a: [20, 1000], b: [60, 1000] }, { currentWeights: { a: 80, b: 20 }, maxIncrease: 10 }));
  assert.deepEqual(a.weights, { a: 70, b: 30 });
  const uncapped = assess(conversionInput({ a: [20, 1000], b: [60, 1000] }));
  assert.deepEqual(uncapped.weights, { a: 5, b: 95 });
});

void test("recommendSplit: failing versions get the floor or zero; no eligible version means an equal split", () => {
  const floor = recommendSplit(["a", "b", "c"], { a: 0.2, b: 0.8 }, { floor: 5, failingWeight: "floor", maxIncrease: undefined, currentWeights: undefined });
  assert.deepEqual(floor, { a: 22, b: 73, c: 5 });
  const zero = recommendSplit(["a", "b", "c"], { a: 0.2, b: 0.8 }, { floor: 5, failingWeight: "zero", maxIncrease: undefined, currentWeights: undefined });
  assert.equal(zero["c"], 0);
  assert.equal(total(zero), 100);
  const none = recommendSplit(["a", "b", "c"], {}, { floor: 5, failingWeight: "floor", maxIncrease: undefined, currentWeights: undefined });
  assert.deepEqual(none, { a: 34, b: 33, c: 33 });
  const bigFloor = recommendSplit(["a", "b", "c", "d", "e"], { a: 1 }, { floor: 40, failingWeight: "floor", maxIncrease: undefined, currentWeights: undefined });
  assert.deepEqual(bigFloor, { a: 20, b: 20, c: 20, d: 20, e: 20 });
});
