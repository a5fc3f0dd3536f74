import assert from "node:assert/strict";
import { test } from "node:test";
import { gammaP, gammaQ, ibeta, ibetac, lgamma, normalCdf, normalQuantile } from "../../../coordinator/assessment/index.js";

const close = (actual: number, expected: number, relTol: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= relTol * Math.abs(expected), `${what}: ${actual} vs ${expected}`);
};

void test("lgamma matches log-factorials and Γ(1/2) = √π", () => {
  close(lgamma(10), Math.log(362880), 1e-14, "lgamma(10)");
  close(lgamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-14, "lgamma(0.5)");
  close(lgamma(171), 706.5730622457874, 1e-14, "lgamma(171)");
});

void test("normal cdf is accurate far into the tails (where erf-based forms lose it)", () => {
  close(normalCdf(-1.96), 0.024997895148220435, 1e-12, "Φ(-1.96)");
  close(normalCdf(-10), 7.619853024160527e-24, 1e-10, "Φ(-10)");
  close(normalCdf(-20), 2.7536241186062337e-89, 1e-9, "Φ(-20)");
  close(normalCdf(3), 0.9986501019683699, 1e-14, "Φ(3)");
});

void test("normal quantile inverts the cdf, tails included", () => {
  for (const p of [1e-15, 1e-6, 0.025, 0.3, 0.5, 0.975, 1 - 1e-9]) {
    const x = normalQuantile(p);
    close(normalCdf(x), p, 1e-9, `Φ(Φ⁻¹(${p}))`);
  }
  close(normalQuantile(0.975), 1.959963984540054, 1e-12, "z(0.975)");
});

void test("incomplete beta and gamma against closed forms", () => {
  // I_x(2, 5) = 1 − Σ_{j<2} C(6, j) x^j (1−x)^(6−j)
  const x = 0.3;
  const expected = 1 - (Math.pow(1 - x, 6) + 6 * x * Math.pow(1 - x, 5));
  close(ibeta(x, 2, 5), expected, 1e-13, "I_0.3(2,5)");
  close(ibetac(x, 2, 5), 1 - expected, 1e-13, "1 − I_0.3(2,5)");
  // I_x(1, b) = 1 − (1 − x)^b, large b, small tail
  close(ibetac(0.01, 1, 5000), Math.pow(0.99, 5000), 1e-10, "survival of Beta(1, 5000)");
  // Large shapes: symmetric Beta at its centre is exactly 1/2.
  close(ibeta(0.5, 200000, 200000), 0.5, 1e-8, "I_0.5(2e5, 2e5)");
  // P(3, 2) = 1 − e^{-2}(1 + 2 + 2)
  close(gammaP(3, 2), 1 - 5 * Math.exp(-2), 1e-14, "P(3, 2)");
  close(gammaQ(1, 50), Math.exp(-50), 1e-12, "Q(1, 50)");
});
