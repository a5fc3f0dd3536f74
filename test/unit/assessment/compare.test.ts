import assert from "node:assert/strict";
import { test } from "node:test";
import {
  betaProbGreater,
  compareArms,
  createRng,
  expectedShortfallClosedForm,
  gammaProbGreater,
  gammaProbGreaterSum,
  integrateComparison,
  monteCarloComparison,
  normalCdf,
  normalProbGreater,
  DEFAULT_DRAWS,
  DEFAULT_SEED,
} from "../../../coordinator/assessment/index.js";
import type { Posterior } from "../../../coordinator/assessment/index.js";

const beta = (alpha: number, b: number): Posterior => ({ family: "beta", alpha, beta: b });
const student = (dof: number, location: number, scale: number): Posterior => ({ family: "student", dof, location, scale });
const gamma = (shape: number, rate: number): Posterior => ({ family: "gamma", shape, rate });
const normal = (mean: number, sd: number): Posterior => ({ family: "normal", mean, sd });
const near = (actual: number, expected: number, tol: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tolerance ${tol})`);
};
const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
/** |MC − exact| within 4 standard errors of a proportion estimated from `draws`. */
const withinFourSe = (mc: number, exact: number, draws: number, what: string): void => {
  const se = Math.sqrt(Math.max(exact * (1 - exact), 1e-6) / draws);
  near(mc, exact, 4 * se, what);
};

void test("Evan Miller's closed form for Beta arms matches the hand-computed sum (53/70)", () => {
  // A ~ Beta(2, 3), B ~ Beta(3, 2): terms 12/30 + 8/35 + 9/70 = 53/70.
  const hand = 53 / 70;
  near(betaProbGreater(2, 3, 3, 2) ?? NaN, hand, 1e-13, "closed form");
  const integrated = integrateComparison([beta(2, 3), beta(3, 2)], "max");
  near(integrated.pBest[1] ?? NaN, hand, 1e-9, "integration P(B best)");
  near(integrated.pBest[0] ?? NaN, 1 - hand, 1e-9, "integration P(A best)");
  const chosen = compareArms([beta(2, 3), beta(3, 2)], "max", 1000, () => createRng(1));
  assert.equal(chosen.method, "closed-form");
  near(chosen.pBest[1] ?? NaN, hand, 1e-13, "compareArms");
});

void test("closed form and integration agree for realistic conversion data", () => {
  const a = beta(21, 181);
  const b = beta(31, 171);
  const closed = betaProbGreater(21, 181, 31, 171) ?? NaN;
  const integrated = integrateComparison([a, b], "max");
  near(integrated.pBest[1] ?? NaN, closed, 1e-9, "P(B > A)");
  const mc = monteCarloComparison([a, b], "max", 40_000, createRng(7));
  withinFourSe(mc.pBest[1] ?? NaN, closed, 40_000, "Monte Carlo P(B > A)");
});

void test("Gamma–Poisson analogue: hand values, Miller's sum, incomplete-beta form and integration agree", () => {
  // λA ~ Gamma(1, 1), λB ~ Gamma(2, 1): P(λB > λA) = 1 − (1/2)² = 3/4.
  near(gammaProbGreater(1, 1, 2, 1), 0.75, 1e-14, "incomplete-beta form");
  near(gammaProbGreaterSum(1, 1, 2, 1) ?? NaN, 0.75, 1e-14, "Miller's sum");
  // λA ~ Gamma(2, 3), λB ~ Gamma(1, 1): P(λB > λA) = E[e^{−λA}] = (3/4)² = 9/16.
  near(gammaProbGreater(2, 3, 1, 1), 9 / 16, 1e-14, "second hand value");
  const cases: [number, number, number, number][] = [[11, 5, 16, 6], [120, 10, 140, 11], [3.5, 2, 4, 2.5]];
  for (const [sA, rA, sB, rB] of cases) {
    const exact = gammaProbGreater(sA, rA, sB, rB);
    const miller = gammaProbGreaterSum(sA, rA, sB, rB);
    if (miller !== undefined) near(miller, exact, 1e-11, `Miller's sum ${sA},${rA},${sB},${rB}`);
    const integrated = integrateComparison([gamma(sA, rA), gamma(sB, rB)], "max");
    near(integrated.pBest[1] ?? NaN, exact, 1e-9, `integration ${sA},${rA},${sB},${rB}`);
  }
});

void test("Normal arms: Φ(Δ/σ) and the closed-form expected loss match integration", () => {
  near(normalProbGreater(0, 1, 1, 1), normalCdf(1 / Math.SQRT2), 1e-15, "Φ(1/√2)");
  near(normalProbGreater(0, 1, 1, 1), 0.7602499389065233, 1e-12, "hand value");
  const integrated = integrateComparison([normal(0, 1), normal(1, 1)], "max");
  near(integrated.pBest[1] ?? NaN, 0.7602499389065233, 1e-10, "integration");
  // E[(B − A)+] with Δ = 1, s = √2: Δ Φ(Δ/s) + s φ(Δ/s)
  const s = Math.SQRT2;
  const hand = normalCdf(1 / s) + (s * Math.exp(-0.25)) / Math.sqrt(2 * Math.PI);
  near(expectedShortfallClosedForm(normal(0, 1), normal(1, 1)) ?? NaN, hand, 1e-12, "closed-form loss");
  near(integrated.expectedLoss[0] ?? NaN, hand, 1e-9, "integrated loss of A");
});

void test("expected loss: closed form for two Betas agrees with integration and Monte Carlo", () => {
  const a = beta(21, 181);
  const b = beta(31, 171);
  const closedLossA = expectedShortfallClosedForm(a, b) ?? NaN;
  const closedLossB = expectedShortfallClosedForm(b, a) ?? NaN;
  const integrated = integrateComparison([a, b], "max");
  near(integrated.expectedLoss[0] ?? NaN, closedLossA, 1e-10, "loss A (integration)");
  near(integrated.expectedLoss[1] ?? NaN, closedLossB, 1e-10, "loss B (integration)");
  const draws = 40_000;
  const mc = monteCarloComparison([a, b], "max", draws, createRng(11));
  // The shortfall's sd is at most the sd of B − A (~0.034 here); 4 SE of a mean.
  const sdDiff = Math.sqrt((21 * 181) / (202 * 202 * 203) + (31 * 171) / (202 * 202 * 203));
  near(mc.expectedLoss[0] ?? NaN, closedLossA, (4 * sdDiff) / Math.sqrt(draws), "loss A (MC)");
  near(mc.expectedLoss[1] ?? NaN, closedLossB, (4 * sdDiff) / Math.sqrt(draws), "loss B (MC)");
  // min direction mirrors: the loss of A when smaller is better is E[(A − B)+].
  const minimised = compareArms([a, b], "min", 1000, () => createRng(1));
  near(minimised.expectedLoss[0] ?? NaN, closedLossB, 1e-12, "min: loss A");
  near(minimised.pBest[0] ?? NaN, betaProbGreater(21, 181, 31, 171) ?? NaN, 1e-12, "min: P(A best)");
});

void test("three or more arms: P(best) sums to 1, symmetric arms tie, Monte Carlo agrees within 4 SE", () => {
  const draws = 40_000;
  const families: Posterior[][] = [
    [beta(21, 181), beta(31, 171), beta(26, 176), beta(29, 173)],
    [gamma(11, 5), gamma(16, 6), gamma(13, 5.5)],
    [normal(10, 1), normal(11, 2), normal(10.5, 0.5), normal(9, 3), normal(10.2, 1)],
  ];
  for (const arms of families) {
    for (const direction of ["max", "min"] as const) {
      const exact = integrateComparison(arms, direction);
      near(sum(exact.pBest), 1, 1e-8, `${arms[0]?.family} ${direction} sum`);
      const mc = monteCarloComparison(arms, direction, draws, createRng(3));
      exact.pBest.forEach((p, i) => withinFourSe(mc.pBest[i] ?? NaN, p, draws, `${arms[0]?.family} ${direction} arm ${i}`));
    }
  }
  const symmetric = integrateComparison([beta(30, 170), beta(30, 170), beta(30, 170)], "max");
  for (const p of symmetric.pBest) near(p, 1 / 3, 1e-9, "symmetric arm");
  near(symmetric.expectedLoss[0] ?? NaN, symmetric.expectedLoss[2] ?? NaN, 1e-15, "symmetric loss");
});

void test("mixed families are integrated, and integration falls back to nothing invented", () => {
  const result = compareArms([beta(30, 170), normal(0.16, 0.02), gamma(32, 200)], "max", 1000, () => createRng(1));
  assert.equal(result.method, "integration");
  near(sum(result.pBest), 1, 1e-8, "sum");
  assert.ok(result.pBest.every((p) => p > 0 && p < 1));
});

void test("single arm is best with certainty and no loss", () => {
  assert.deepEqual(compareArms([beta(3, 4)], "max", 100, () => createRng(1)), { pBest: [1], expectedLoss: [0], method: "closed-form" });
});

/**
 * References from test/unit/assessment/reference/pbest.py (scipy's adaptive quadrature over the
 * whole line, independent of Assay's panels); the command is beside each row. Expected loss is
 * NaN (reported as null) when an arm has no posterior mean.
 */
const REFERENCES: [string, Posterior[], "max" | "min", number[], number[]][] = [
  // python3 test/unit/assessment/reference/pbest.py max student 1 11 1 student 1 9.5 0.5
  ["two Cauchy means (n = 2 each)", [student(1, 11, 1), student(1, 9.5, 0.5)], "max", [0.7499999999987502, 0.24999999999925007], [NaN, NaN]],
  // python3 test/unit/assessment/reference/pbest.py max student 1 11 1 student 2 10 0.6 student 29 10.2 0.3
  ["t means with 1, 2 and 29 dof", [student(1, 11, 1), student(2, 10, 0.6), student(29, 10.2, 0.3)], "max", [0.6362628030202659, 0.1785033099418002, 0.18523388703593321], [NaN, NaN, NaN]],
  // python3 test/unit/assessment/reference/pbest.py min student 2 11 1 student 5 9.5 0.5 student 30 10 0.3
  ["t means with 2, 5 and 30 dof, min", [student(2, 11, 1), student(5, 9.5, 0.5), student(30, 10, 0.3)], "min", [0.13879100373839118, 0.68422377432218, 0.17698522193842758], [1.8762287532796438, 0.37622875342066175, 0.8762287534206635]],
  // python3 test/unit/assessment/reference/pbest.py max beta 100000001 900000001 beta 100001501 899998501 beta 100000801 899999201
  ["conversion at 1e9 trials", [beta(100000001, 900000001), beta(100001501, 899998501), beta(100000801, 899999201)], "max", [0.29967795342106973, 0.36636306367430704, 0.33395898290216464], [8.820390005899353e-06, 7.320390008903231e-06, 8.020390007499072e-06]],
  // python3 test/unit/assessment/reference/pbest.py max beta 31 171 gamma 32 200 student 12 0.16 0.02
  ["mixed families", [beta(31, 171), gamma(32, 200), student(12, 0.16, 0.02)], "max", [0.26488646907739544, 0.37354888800607206, 0.3615646429165328], [0.026127297216427058, 0.01959264375108052, 0.019592643751080514]],
];

void test("P(best) and expected loss of Student-t, huge-sample and mixed arms match scipy", () => {
  for (const [label, arms, direction, pBest, loss] of REFERENCES) {
    const result = compareArms(arms, direction, 1000, () => createRng(1));
    assert.equal(result.method, "integration", label);
    pBest.forEach((p, i) => near(result.pBest[i] ?? NaN, p, 1e-9, `${label} P(best) arm ${i}`));
    loss.forEach((l, i) => {
      if (Number.isNaN(l)) assert.ok(Number.isNaN(result.expectedLoss[i]), `${label} loss arm ${i} should be undefined`);
      else near(result.expectedLoss[i] ?? NaN, l, 1e-7 * Math.abs(l), `${label} expected loss arm ${i}`);
    });
  }
  // Two Cauchy arms: X1 − X2 is Cauchy(1.5, 1.5), so P(X1 > X2) = 1/2 + atan(1)/π = 3/4 exactly.
  near(compareArms([student(1, 11, 1), student(1, 9.5, 0.5)], "max", 1000, () => createRng(1)).pBest[0] ?? NaN, 0.75, 1e-12, "Cauchy hand value");
});

void test("the Monte Carlo fallback at its default draws is within 0.002 of exact, even at 1e9 trials", () => {
  const [label, arms, direction, pBest] = REFERENCES[3]!;
  assert.match(label, /1e9 trials/);
  const mc = monteCarloComparison(arms, direction, DEFAULT_DRAWS, createRng(DEFAULT_SEED));
  pBest.forEach((p, i) => near(mc.pBest[i] ?? NaN, p, 0.002, `Monte Carlo P(best) arm ${i}`));
});

void test("integration holds where the old panels leaked mass: all-success Betas, Jeffreys Gammas at far-apart scales", () => {
  // Beta(α, 1) (every trial a success) has its long tail on the left: the panels are mirrored.
  for (const arms of [
    [beta(32, 73), beta(801483706, 8095796), beta(23747524, 1)],
    [beta(80057172, 1), beta(4607, 49), beta(165331, 385771)],
  ]) {
    const result = compareArms(arms, "max", 1000, () => createRng(1));
    assert.equal(result.method, "integration");
    near(sum(result.pBest), 1, 1e-8, `Σ P(best) of ${JSON.stringify(arms)}`);
  }
  // Gamma(0.5, ·) (Jeffreys prior, no events) is infinite at 0 and spread over decades:
  // python3 test/unit/assessment/reference/pbest.py max gamma 191468 625117107.952641 gamma 0.5 61208.31331923909 gamma 0.5 2.5595229240974564e-7
  const expected = [9.990832894523244e-6, 9.384993883178722e-15, 0.999990009166092];
  const result = compareArms([gamma(191468, 625117107.952641), gamma(0.5, 61208.31331923909), gamma(0.5, 2.5595229240974564e-7)], "max", 1000, () => createRng(1));
  assert.equal(result.method, "integration");
  expected.forEach((p, i) => near(result.pBest[i] ?? NaN, p, 1e-9, `Jeffreys Gamma arm ${i}`));
});
