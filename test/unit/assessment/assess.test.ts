import assert from "node:assert/strict";
import { test } from "node:test";
import { createHistogram, histogramToBase64, recordMicros } from "../../../core/index.js";
import { assess, benchAssessment, createRng, ibetac, normalCdf, renderAssessmentText } from "../../../coordinator/assessment/index.js";
import type { AssessmentInput } from "../../../coordinator/assessment/index.js";

function histogramOf(valuesMs: number[]): string {
  const h = createHistogram();
  for (const v of valuesMs) recordMicros(h, v * 1000);
  const text = histogramToBase64(h);
  h.destroy();
  return text;
}

/** Paths of every number in `value` that is NaN or infinite (plain JSON has none). */
function nonFiniteNumbers(value: unknown, path = "$"): string[] {
  if (typeof value === "number") return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonFiniteNumbers(v, `${path}[${i}]`));
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => nonFiniteNumbers(v, `${path}.${k}`));
  return [];
}

function baseInput(overrides: Partial<AssessmentInput> = {}): AssessmentInput {
  return {
    versions: ["a", "b"],
    rewards: { max: ["conversion"], min: [] },
    slos: { upper: [], lower: [] },
    samples: {
      a: { conversion: { type: "rate", successes: 20, trials: 200 } },
      b: { conversion: { type: "rate", successes: 35, trials: 200 } },
    },
    values: { a: { conversion: 0.1 }, b: { conversion: 0.175 } },
    ...overrides,
  };
}

void test("a percentile SLO is a binomial question on the histogram", () => {
  // 960 requests at 10 ms and 40 at 200 ms: 960 of 1000 are under a 100 ms limit.
  const histogram = histogramOf([...Array<number>(960).fill(10), ...Array<number>(40).fill(200)]);
  const a = assess({
    versions: ["v1"],
    rewards: { max: [], min: [] },
    slos: { upper: [{ metric: "http/latency-p95", limit: 100 }], lower: [{ metric: "http/latency-p95", limit: 5 }] },
    samples: { v1: { "http/latency-p95": { type: "histogram", histogram } } },
    values: { v1: { "http/latency-p95": 10 } },
  });
  // P(p_under ≥ 0.95) with p_under ~ Beta(1 + 960, 1 + 40)
  const expected = ibetac(0.95, 961, 41);
  assert.ok(Math.abs((a.slos[0]!.probability!["v1"] ?? NaN) - expected) < 1e-12);
  assert.ok(expected > 0.9 && expected < 1);
  // Monte Carlo check of the same question.
  const rng = createRng(5);
  let hits = 0;
  for (let i = 0; i < 20_000; i++) if (rng.beta(961, 41) >= 0.95) hits += 1;
  assert.ok(Math.abs(hits / 20_000 - expected) < 4 * Math.sqrt((expected * (1 - expected)) / 20_000) + 1e-3);
  // Lower SLO p95 ≥ 5 ms: nothing is below 5 ms, so it almost surely holds.
  assert.ok((a.slos[1]!.probability!["v1"] ?? 0) > 0.999);
  assert.equal(a.slos[0]!.satisfied["v1"], true);
});

void test("error-rate and mean SLOs use Beta–Binomial and Normal posteriors", () => {
  const a = assess({
    versions: ["v1"],
    rewards: { max: [], min: [] },
    slos: { upper: [{ metric: "http/error-rate", limit: 0.01 }, { metric: "http/latency-mean", limit: 12 }], lower: [] },
    samples: { v1: { "http/latency-mean": { type: "mean", count: 100, sum: 1000, sumOfSquares: 100 * (4 + 100) } } },
    values: { v1: { "http/error-count": 5, "http/request-count": 1000, "http/error-rate": 0.005, "http/latency-mean": 10 } },
  });
  const errorRate = a.slos[0]!.probability!["v1"] ?? NaN;
  assert.ok(Math.abs(errorRate - (1 - ibetac(0.01, 6, 996))) < 1e-12, `error-rate P ${errorRate}`);
  // mean 10, sample variance 100·4/99, posterior sd = sqrt(var/100)
  const sd = Math.sqrt((100 * 4) / 99 / 100);
  const mean = a.slos[1]!.probability!["v1"] ?? NaN;
  assert.ok(Math.abs(mean - normalCdf((12 - 10) / sd)) < 1e-12);
});

void test("bad inputs become per-metric errors, never a crash or an invented number", () => {
  const a = assess({
    versions: ["a", "b", "c", "d", "e"],
    rewards: { max: ["conversion"], min: ["revenue"] },
    slos: { upper: [{ metric: "latency", limit: 10 }], lower: [] },
    samples: {
      a: { conversion: { type: "rate", successes: NaN, trials: 100 }, revenue: { type: "mean", count: 1, sum: 5, sumOfSquares: 25 } },
      b: { conversion: { type: "rate", successes: 0, trials: 0 }, revenue: { type: "mean", count: 10, sum: 50, sumOfSquares: 250 } },
      c: { conversion: { type: "rate", successes: 12, trials: 100 }, revenue: { type: "mean", count: 10, sum: 50, sumOfSquares: 300 } },
      d: { conversion: { type: "rate", successes: 15, trials: 100 }, revenue: { type: "mean", count: 12, sum: 48, sumOfSquares: 230 } },
    },
    values: { a: {}, b: {}, c: { latency: 5 }, d: { latency: 5 }, e: {} },
    metricErrors: { e: { conversion: "prometheus: connection refused" } },
  });
  assert.match(a.errors["a"]!["conversion"]!, /successes is not a finite number \(got NaN\)/);
  assert.match(a.errors["b"]!["conversion"]!, /trials must be > 0/);
  assert.match(a.errors["a"]!["revenue"]!, /count must be ≥ 2/);
  assert.match(a.errors["b"]!["revenue"]!, /sample variance is 0/);
  assert.equal(a.errors["e"]!["conversion"], "prometheus: connection refused");
  assert.match(a.errors["e"]!["revenue"]!, /missing/);
  assert.match(a.errors["c"]!["latency"]!, /no sample statistics/);
  const conversion = a.rewards["conversion"]!;
  assert.deepEqual(Object.keys(conversion.versions).sort(), ["c", "d"]);
  assert.deepEqual(Object.keys(a.rewards["revenue"]!.versions).sort(), ["c", "d"]);
  assert.equal(a.slos[0]!.probability!["c"], null);
  assert.equal(a.slos[0]!.satisfied["a"], false);
  assert.equal(a.slos[0]!.satisfied["c"], true);
  // Versions without data can't win and get the floor.
  assert.equal(a.weights["a"], 5);
  assert.equal(Object.values(a.weights).reduce((s, x) => s + x, 0), 100);
  assert.deepEqual(nonFiniteNumbers(a), []);
  const text = renderAssessmentText(a);
  assert.match(text, /Not assessed:/);
  assert.match(text, /trials must be > 0/);
});

void test("the winner: SLOs first, then P(best) on the first reward ≥ confidence", () => {
  const clear = assess(baseInput());
  assert.equal(clear.winner, "b");
  assert.ok((clear.winnerProbabilities["b"] ?? 0) >= 0.95);
  assert.equal(clear.decidingReward, "conversion");
  // b fails an SLO: it cannot win; a alone meets the SLOs, so a wins among those.
  const failing = assess(
    baseInput({
      slos: { upper: [{ metric: "http/error-rate", limit: 0.01 }], lower: [] },
      values: { a: { conversion: 0.1, "http/error-rate": 0 }, b: { conversion: 0.175, "http/error-rate": 0.05 } },
    }),
  );
  assert.equal(failing.winner, "a");
  assert.equal(failing.slos[0]!.satisfied["b"], false);
  // Not enough evidence: no winner.
  const close = assess(baseInput({ samples: { a: { conversion: { type: "rate", successes: 20, trials: 200 } }, b: { conversion: { type: "rate", successes: 24, trials: 200 } } } }));
  assert.equal(close.winner, null);
  // A lower confidence accepts it.
  const lenient = assess(baseInput({ confidence: 0.7, samples: { a: { conversion: { type: "rate", successes: 20, trials: 200 } }, b: { conversion: { type: "rate", successes: 24, trials: 200 } } } }));
  assert.equal(lenient.winner, "b");
  // No rewards: no winner.
  assert.equal(assess(baseInput({ rewards: { max: [], min: [] } })).winner, null);
  // min reward: the smaller is better.
  const min = assess(baseInput({ rewards: { max: [], min: ["conversion"] } }));
  assert.equal(min.winner, "a");
});

void test("lift over the baseline and its interval", () => {
  const a = assess(baseInput());
  const b = a.rewards["conversion"]!.versions["b"]!;
  const meanA = 21 / 202;
  const meanB = 36 / 202;
  assert.ok(Math.abs((b.lift ?? NaN) - (meanB - meanA) / meanA) < 1e-12);
  assert.ok(b.liftInterval !== null && b.liftInterval[0] < (b.lift ?? 0) && (b.lift ?? 0) < b.liftInterval[1]);
  assert.equal(a.rewards["conversion"]!.versions["a"]!.lift, 0);
  assert.ok(b.credibleInterval[0] < b.mean! && b.mean! < b.credibleInterval[1]);
});

void test("reproducible: same input gives identical output; without Monte Carlo the seed changes nothing", () => {
  const input = baseInput({ options: { seed: 42 } });
  assert.deepEqual(assess(input), assess(input));
  const { seed: _a, ...other } = assess(baseInput({ options: { seed: 43 } }));
  const { seed: _b, ...first } = assess(input);
  assert.deepEqual(other, first);
});

void test("priors are stated and configurable", () => {
  const a = assess(baseInput());
  assert.deepEqual(a.priors.default.rate, { alpha: 1, beta: 1 });
  const informed = assess(baseInput({ options: { priors: { metrics: { conversion: { rate: { alpha: 10, beta: 90 } } } } } }));
  assert.ok(Math.abs(informed.rewards["conversion"]!.versions["a"]!.mean! - 30 / 300) < 1e-12);
});

void test("malformed input throws a ValidationError naming the field", () => {
  assert.throws(() => assess(baseInput({ baseline: "zzz" })), /baseline: "zzz" is not one of the versions/);
  assert.throws(() => assess(baseInput({ confidence: 1.5 })), /confidence: must be between 0 and 1/);
  assert.throws(() => assess(baseInput({ options: { floor: 120 } })), /options.floor: must be an integer from 0 to 100/);
  assert.throws(() => assess(baseInput({ options: { maxIncrease: 10 } })), /options.maxIncrease: needs options.currentWeights/);
  assert.throws(() => assess(baseInput({ options: { currentWeights: { a: 50, b: 40 } } })), /weights must sum to 100/);
  assert.throws(() => assess(baseInput({ options: { priors: { rate: { alpha: 0, beta: 1 } } } })), /options.priors.rate.alpha: must be > 0/);
});

void test("benchmark: 10 versions × 3 rewards × 5 SLOs is assessed in well under a second of CPU", () => {
  const { cpuMs } = benchAssessment(2);
  // The target is 100 ms on an idle machine; tests share 2 cores with other work.
  assert.ok(cpuMs < 1000, `assessment took ${cpuMs} ms of CPU`);
});

void test("a mean from 2 observations: no posterior mean or expected loss (null, with reasons); interval and P(best) still reported", () => {
  const a = assess({
    versions: ["a", "b"],
    rewards: { max: ["revenue"], min: [] },
    slos: { upper: [], lower: [] },
    // a: values 10 and 12 (t with 1 dof); b: 30 values with mean 10.
    samples: { a: { revenue: { type: "mean", count: 2, sum: 22, sumOfSquares: 244 } }, b: { revenue: { type: "mean", count: 30, sum: 300, sumOfSquares: 3116 } } },
    values: { a: { revenue: 11 }, b: { revenue: 10 } },
  });
  const reward = a.rewards["revenue"]!;
  const va = reward.versions["a"]!;
  const vb = reward.versions["b"]!;
  assert.equal(va.mean, null);
  assert.match(va.reasons?.mean ?? "", /Student-t with 1 degree of freedom .* which has no mean/);
  assert.equal(va.expectedLoss, null);
  assert.equal(vb.expectedLoss, null);
  assert.match(vb.reasons?.expectedLoss ?? "", /a's posterior is Student-t with 1 degree of freedom/);
  assert.equal(vb.lift, null);
  assert.match(vb.reasons?.lift ?? "", /the baseline a has no posterior mean/);
  assert.ok(vb.liftInterval !== null && vb.liftInterval[0] < 0 && vb.liftInterval[1] > 0);
  // The t interval of a: 11 ± 12.706 (t quantile with 1 dof), not the plug-in Normal's 11 ± 1.96:
  // python3 -c "from scipy import stats; print(repr(stats.t(1).isf((1 - 0.95) / 2)))"  → 12.706204736174694
  assert.ok(Math.abs(va.credibleInterval[0] - (11 - 12.706204736174694)) < 1e-9);
  assert.ok(Math.abs(va.pBest + vb.pBest - 1) < 1e-9 && va.pBest > 0.5);
  assert.deepEqual(nonFiniteNumbers(a), []);
  assert.match(renderAssessmentText(a), /a +n\/a +\[-1\.706, 23\.71\]/);
});
