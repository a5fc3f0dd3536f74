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
} from "../../../coordinator/assessment/index.js";
import type { Posterior } from "../../../coordinator/assessment/index.js";

const beta = (alpha: number, b: number): Posterior => ({ family: "beta", alpha, beta: b });
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
