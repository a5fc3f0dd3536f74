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
  assert.ok(b.expectedLoss >= 0 && b.expectedLoss < a.rewards["conversion"]!.versions["a"]!.expectedLoss);
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
  assert.equal(a.rewards["revenue"]!.method, "closed-form");
  assert.ok(Math.abs(a.rewards["incidents"]!.versions["b"]!.mean - 21 / 1000) < 1e-12);
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

void test("analyze: bad input is a ValidationError naming the field", () => {
  const cases: [unknown, RegExp][] = [
    [{ ...doc, versions: { a: doc.versions.a, b: { conversion: { successes: 0, trials: 0 } } } }, /^versions\.b\.conversion: trials must be > 0/],
    [{ ...doc, versions: { a: doc.versions.a, b: { conversion: { successes: 30, trials: 20 } } } }, /^versions\.b\.conversion: successes must be between 0 and trials/],
    [{ ...doc, versions: { a: doc.versions.a, b: { conversion: { successes: "many", trials: 20 } } } }, /^versions\.b\.conversion\.successes: expected a finite number/],
    [{ ...doc, versions: { a: doc.versions.a, b: { conversion: { count: 1, sum: 3, sumOfSquares: 9 } } } }, /^versions\.b\.conversion: count must be ≥ 2/],
    [{ ...doc, versions: { a: doc.versions.a, b: { conversion: { successes: 3 } } } }, /^versions\.b\.conversion\.trials: required/],
    [{ ...doc, versions: { a: doc.versions.a, b: { conversion: { successes: 3, trials: 9, events: 2 } } } }, /^versions\.b\.conversion: keys of more than one sample type/],
    [{ ...doc, versions: { a: doc.versions.a, b: { conversion: { foo: 3 } } } }, /^versions\.b\.conversion: cannot tell the sample type/],
    [{ ...doc, baseline: "c" }, /^baseline: expected one of the versions/],
    [{ ...doc, confidence: 2 }, /^confidence: expected a number between 0 and 1/],
    [{ ...doc, rewards: { max: ["nope"] } }, /^rewards: nope is not given for any version/],
    [{ ...doc, rewards: { best: ["conversion"] } }, /^rewards\.best: unknown key/],
    [{ ...doc, extra: 1 }, /^extra: unknown key/],
    [{ ...doc, versions: {} }, /^versions: expected a mapping/],
    [{ ...doc, options: { floor: -1 } }, /^options\.floor: must be an integer from 0 to 100/],
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
