import assert from "node:assert/strict";
import { test } from "node:test";
import { ValidationError, createHistogram, histogramToBase64, recordMicros } from "../../../core/index.js";
import { analyzeDocument, betaProbGreater, renderAssessmentText } from "../../../coordinator/assessment/index.js";

const doc = {
  rewards: { max: ["conversion"] },
  baseline: "a",
  versions: {
    a: { conversion: { successes: 20, trials: 200 } },
    b: { conversion: { successes: 35, trials: 200 } },
  },
};

void test("analyze: per-version pBest, expectedLoss, credibleInterval, lift, winner and weights", () => {
  const a = analyzeDocument(doc);
  const b = a.rewards["conversion"]!.versions["b"]!;
  assert.ok(Math.abs(b.pBest - (betaProbGreater(21, 181, 36, 166) ?? NaN)) < 1e-12);
  assert.ok(b.expectedLoss! >= 0 && b.expectedLoss! < a.rewards["conversion"]!.versions["a"]!.expectedLoss!);
  assert.equal(b.credibleInterval.length, 2);
  assert.ok(b.lift !== null && b.lift > 0.5);
  assert.equal(a.winner, "b");
  assert.equal(Object.values(a.weights).reduce((s, x) => s + x, 0), 100);
  const text = renderAssessmentText(a);
  assert.match(text, /Reward conversion/);
  assert.match(text, /Winner: b/);
  assert.match(text, /Recommended weights: a \d+, b \d+/);
});

void test("analyze infers mean and count samples from their keys, and accepts SLOs in both forms", () => {
  const a = analyzeDocument({
    rewards: { max: ["revenue"], min: ["incidents"] },
    slos: { upper: { incidents: 0.05 }, lower: [{ metric: "revenue", limit: 10 }] },
    confidence: 0.9,
    versions: {
      a: { revenue: { count: 400, sum: 400 * 50, sumOfSquares: 400 * 2500 + 399 * 100 }, incidents: { events: 30, exposure: 1000 } },
      b: { revenue: { count: 400, sum: 400 * 52, sumOfSquares: 400 * 2704 + 399 * 100 }, incidents: { events: 20, exposure: 1000 } },
    },
  });
  assert.equal(a.rewards["revenue"]!.direction, "max");
  assert.equal(a.rewards["incidents"]!.direction, "min");
  // Means have Student-t posteriors (unknown variance): no two-arm closed form, so integration.
  assert.equal(a.rewards["revenue"]!.method, "integration");
  assert.ok(Math.abs(a.rewards["incidents"]!.versions["b"]!.mean! - 21 / 1000) < 1e-12);
  assert.equal(a.slos.length, 2);
  assert.equal(a.slos[0]!.satisfied["a"], true);
  assert.equal(a.confidence, 0.9);
  assert.equal(a.winner, "b");
});

void test("analyze: histograms answer percentile SLOs", () => {
  const h = createHistogram();
  for (let i = 0; i < 1000; i++) recordMicros(h, (5 + (i % 10)) * 1000);
  const histogram = histogramToBase64(h);
  h.destroy();
  const a = analyzeDocument({ slos: { upper: { "http/latency-p95": 50 } }, versions: { v1: { "http/latency-p95": { histogram } } } });
  assert.equal(a.slos[0]!.satisfied["v1"], true);
  assert.ok((a.slos[0]!.probability!["v1"] ?? 0) > 0.99);
});

const withB = (conversion: unknown): unknown => ({ ...doc, versions: { a: doc.versions.a, b: { conversion } } });

void test("analyze: impossible or malformed input is a ValidationError naming the field", () => {
  const cases: [unknown, RegExp][] = [
    [withB({ successes: 30, trials: 20 }), /^versions\.b\.conversion: successes must be between 0 and trials/],
    [withB({ successes: 1, trials: 0 }), /^versions\.b\.conversion: successes must be between 0 and trials \(got 1 of 0\)/],
    [withB({ successes: 2.5, trials: 10 }), /^versions\.b\.conversion\.successes: must be a whole number \(got 2\.5\)/],
    [withB({ successes: 2, trials: 10.5 }), /^versions\.b\.conversion\.trials: must be a whole number \(got 10\.5\)/],
    [withB({ successes: -1, trials: 10 }), /^versions\.b\.conversion\.successes: must be ≥ 0/],
    [withB({ count: 3.5, sum: 3, sumOfSquares: 9 }), /^versions\.b\.conversion\.count: must be a whole number/],
    [withB({ events: 0.5, exposure: 10 }), /^versions\.b\.conversion\.events: must be a whole number/],
    [withB({ events: 3, exposure: 0 }), /^versions\.b\.conversion: 3 events with exposure 0/],
    [withB({ count: 3, sum: 30, sumOfSquares: 200 }), /^versions\.b\.conversion: sumOfSquares \(200\) is less than sum²\/count \(300\)/],
    [withB({ successes: "many", trials: 20 }), /^versions\.b\.conversion\.successes: expected a finite number, got "many"/],
    [withB({ successes: 3 }), /^versions\.b\.conversion\.trials: required/],
    [withB({ successes: 3, trials: 9, events: 2 }), /^versions\.b\.conversion: keys of more than one sample type/],
    [withB({ foo: 3 }), /^versions\.b\.conversion: cannot tell the sample type/],
    [{ ...doc, baseline: "c" }, /^baseline: expected one of the versions/],
    [{ ...doc, confidence: 2 }, /^confidence: expected a number between 0 and 1/],
    [{ ...doc, rewards: { max: ["nope"] } }, /^rewards: nope is not given for any version/],
    [{ ...doc, rewards: { best: ["conversion"] } }, /^rewards\.best: unknown key/],
    [{ ...doc, extra: 1 }, /^extra: unknown key/],
    [{ ...doc, versions: {} }, /^versions: expected a mapping/],
    [{ ...doc, options: { floor: -1 } }, /^options\.floor: must be an integer from 0 to 100/],
    [{ ...doc, options: { priors: { mean: { mean: 1, kappa: 1, alpha: 0, beta: 1 } } } }, /^options\.priors\.mean\.alpha: must be > 0/],
    [[1, 2], /^\(document\): expected a JSON object/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => analyzeDocument(input), (err: unknown) => {
      assert.ok(err instanceof ValidationError, `not a ValidationError: ${String(err)}`);
      assert.match(err.message, message);
      return true;
    });
  }
});

void test("analyze: a number too large for double precision (1e999) is named as not finite, not as null", () => {
  const text = '{"rewards": {"max": ["conversion"]}, "versions": {"a": {"conversion": {"successes": 1e999, "trials": 10}}}}';
  assert.throws(() => analyzeDocument(JSON.parse(text)), /versions\.a\.conversion\.successes: not a finite number: got Infinity \(a JSON number too large/);
  const option = '{"rewards": {"max": ["conversion"]}, "options": {"seed": 1e999}, "versions": {"a": {"conversion": {"successes": 1, "trials": 10}}}}';
  assert.throws(() => analyzeDocument(JSON.parse(option)), /options\.seed: not a finite number \(got Infinity\)/);
});

void test("analyze: data without information is that version's error, and the others are assessed", () => {
  const a = analyzeDocument({
    rewards: { max: ["conversion", "revenue", "incidents"] },
    versions: {
      a: { conversion: { successes: 20, trials: 200 }, revenue: { count: 40, sum: 400, sumOfSquares: 4400 }, incidents: { events: 3, exposure: 100 } },
      b: { conversion: { successes: 35, trials: 200 }, revenue: { count: 40, sum: 440, sumOfSquares: 5200 }, incidents: { events: 1, exposure: 100 } },
      zero: { conversion: { successes: 0, trials: 0 }, revenue: { count: 10, sum: 50, sumOfSquares: 250 }, incidents: { events: 0, exposure: 0 } },
      one: { conversion: { successes: 0, trials: 0 }, revenue: { count: 1, sum: 5, sumOfSquares: 25 }, incidents: { events: 0, exposure: 0 } },
    },
  });
  assert.match(a.errors["zero"]!["conversion"]!, /trials must be > 0 \(got 0\)/);
  assert.match(a.errors["zero"]!["revenue"]!, /the sample variance is 0/);
  assert.match(a.errors["zero"]!["incidents"]!, /exposure must be > 0/);
  assert.match(a.errors["one"]!["revenue"]!, /count must be ≥ 2 to estimate a variance \(got 1\)/);
  for (const metric of ["conversion", "revenue", "incidents"]) {
    assert.deepEqual(Object.keys(a.rewards[metric]!.versions), ["a", "b"], metric);
  }
  assert.equal(a.winner, "b");
  assert.equal(Object.values(a.weights).reduce((x, y) => x + y, 0), 100);
});

void test("analyze: a metric missing for one version is that version's error, not a failure", () => {
  const a = analyzeDocument({ ...doc, versions: { a: doc.versions.a, b: {} } });
  assert.match(a.errors["b"]!["conversion"]!, /missing/);
  assert.equal(a.winner, "a");
});

void test("analyze accepts a stored result document and re-assesses its samples", () => {
  const result = {
    schemaVersion: 1,
    name: "x",
    versions: ["a", "b"],
    metrics: { a: { conversion: 0.1 }, b: { conversion: 0.175 } },
    samples: { a: { conversion: { type: "rate", successes: 20, trials: 200 } }, b: { conversion: { type: "rate", successes: 35, trials: 200 } } },
    slos: [],
    assessment: { baseline: "a", confidence: 0.95, seed: 1, rewards: { conversion: { direction: "max" } } },
  };
  const a = analyzeDocument(result);
  assert.equal(a.winner, "b");
  assert.deepEqual(a, analyzeDocument(doc));
});

/** JSON text with every object's keys sorted, as some tools (jq -S, Python's sort_keys) write it. */
function sortedKeysJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v === null || typeof v !== "object") return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
  };
  return JSON.stringify(sort(value));
}

void test("re-analysing a stored result keeps its reward order, winner, weights, priors and split settings", () => {
  // revenue (given first) favours a; conversion (alphabetically first) favours b.
  const analyzeInput = {
    rewards: { max: ["revenue", "conversion"] },
    options: { floor: 10, priors: { metrics: { conversion: { rate: { alpha: 2, beta: 20 } } }, mean: { mean: 50, kappa: 1, alpha: 2, beta: 50 } } },
    versions: {
      a: { revenue: { count: 400, sum: 400 * 53, sumOfSquares: 400 * 53 ** 2 + 399 * 100 }, conversion: { successes: 20, trials: 200 } },
      b: { revenue: { count: 400, sum: 400 * 50, sumOfSquares: 400 * 50 ** 2 + 399 * 100 }, conversion: { successes: 35, trials: 200 } },
    },
  };
  const original = analyzeDocument(analyzeInput);
  assert.equal(original.decidingReward, "revenue");
  assert.deepEqual(original.rewardOrder, ["revenue", "conversion"]);
  assert.equal(original.winner, "a");
  assert.deepEqual(original.split, { floor: 10, failingWeight: "floor", maxIncrease: null, currentWeights: null });
  const result = {
    schemaVersion: 2,
    name: "ab",
    versions: ["a", "b"],
    metrics: { a: { revenue: 53, conversion: 0.1 }, b: { revenue: 50, conversion: 0.175 } },
    samples: {
      a: { revenue: { type: "mean", ...analyzeInput.versions.a.revenue }, conversion: { type: "rate", ...analyzeInput.versions.a.conversion } },
      b: { revenue: { type: "mean", ...analyzeInput.versions.b.revenue }, conversion: { type: "rate", ...analyzeInput.versions.b.conversion } },
    },
    slos: [],
    assessment: original,
  };
  const reanalysed = analyzeDocument(JSON.parse(sortedKeysJson(result)));
  assert.equal(reanalysed.winner, "a");
  assert.deepEqual(reanalysed.weights, original.weights);
  assert.deepEqual(reanalysed, original);
  // A schemaVersion 1 document has no rewardOrder: its decidingReward leads.
  const { rewardOrder: _dropped, ...v1Assessment } = original;
  const v1 = analyzeDocument(JSON.parse(sortedKeysJson({ ...result, schemaVersion: 1, assessment: v1Assessment })));
  assert.equal(v1.decidingReward, "revenue");
  assert.equal(v1.winner, "a");
  assert.deepEqual(v1.weights, original.weights);
});
