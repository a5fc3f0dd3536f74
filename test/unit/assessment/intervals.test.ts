/**
 * Credible intervals of every posterior family (Beta rates, Gamma counts, Student-t means) against
 * reference values computed outside Assay. Each reference value has the command that produced it
 * beside it; the references under test/unit/assessment/reference/ use scipy's quadrature only.
 * Tolerance: 1e-9 × max(|bound|, width), far inside the promise of 0.005 × max(|bound|, width).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { cdf, credibleInterval, meanPosterior, pdf, sf, tailQuantile } from "../../../coordinator/assessment/index.js";
import type { Posterior } from "../../../coordinator/assessment/index.js";

const beta = (alpha: number, b: number): Posterior => ({ family: "beta", alpha, beta: b });
const gamma = (shape: number, rate: number): Posterior => ({ family: "gamma", shape, rate });
const student = (dof: number, location: number, scale: number): Posterior => ({ family: "student", dof, location, scale });

/**
 * |P(tail) − target| within 1e-8 relative, or within what the bound's own rounding allows (a bound
 * next to 1 is a double with ~1e-16 absolute spacing, which moves its tail probability by pdf·ulp).
 */
function assertTail(probability: number, target: number, bound: number, p: Posterior, what: string): void {
  const allowed = 1e-8 * target + 4 * Number.EPSILON * Math.abs(bound) * pdf(p, bound);
  assert.ok(Math.abs(probability - target) <= allowed, `${what}: ${probability} vs ${target}`);
}

/** |actual − expected| ≤ 1e-9 · max(|expected|, width) for both bounds. */
function assertInterval(actual: readonly [number, number], expected: readonly [number, number], what: string): void {
  const width = expected[1] - expected[0];
  actual.forEach((bound, i) => {
    const ref = expected[i] ?? NaN;
    const tolerance = 1e-9 * Math.max(Math.abs(ref), width);
    assert.ok(Math.abs(bound - ref) <= tolerance, `${what} bound ${i}: ${bound} vs ${ref} (tolerance ${tolerance})`);
  });
}

const CASES: [string, Posterior, number, [number, number]][] = [
  // python3 -c "from scipy import stats; d = stats.gamma(1, scale=1/1000); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["0 events in 1000 s", gamma(1, 1000), 0.95, [2.53178079842899e-05, 0.0036888794541139356]],
  // python3 -c "from scipy import stats; d = stats.gamma(2, scale=1/1000); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["1 event in 1000 s", gamma(2, 1000), 0.95, [0.00024220927854396509, 0.005571643390938898]],
  // python3 -c "from scipy import stats; d = stats.gamma(3, scale=1/1000); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["2 events in 1000 s", gamma(3, 1000), 0.95, [0.0006186721228956015, 0.00722468766772396]],
  // python3 -c "from scipy import stats; d = stats.gamma(3, scale=1/1000); print(repr(d.ppf(5.000000000143778e-07)), repr(d.isf(5.000000000143778e-07)))"
  ["2 events, 99.9999 %", gamma(3, 1000), 0.999999, [1.4474761825656003e-05, 0.019897010102871586]],
  // python3 -c "from scipy import stats; d = stats.gamma(0.5, scale=1e-9); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["0 events in 1e9 s, Jeffreys prior Gamma(0.5, 0)", gamma(0.5, 1e9), 0.95, [4.910345585876292e-13, 2.5119430936574442e-09]],
  // python3 -c "from scipy import stats; d = stats.gamma(4, scale=1e9); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["3 events in 1e-9 s (a huge rate)", gamma(4, 1e-9), 0.95, [1089865373.6263251, 8767273069.742323]],
  // python3 -c "from scipy import stats; d = stats.gamma(1e6 + 1, scale=1/1000); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["1e6 events in 1000 s", gamma(1e6 + 1, 1000), 0.95, [998.0419823603121, 1001.9619119454322]],
  // python3 -c "from scipy import stats; d = stats.gamma(0.01, scale=1/1001); print(repr(d.ppf(0.04999999999999999)), repr(d.isf(0.04999999999999999)))"
  ["0 events with a weak prior Gamma(0.01, 1)", gamma(0.01, 1001), 0.9, [4.461073944965163e-134, 3.3592647333413683e-06]],
  // python3 -c "from scipy import stats; d = stats.beta(1, 11); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["0 of 10", beta(1, 11), 0.95, [0.002298972213814269, 0.28491415291815436]],
  // python3 -c "from scipy import stats; d = stats.beta(21, 181); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["20 of 200", beta(21, 181), 0.95, [0.06584585785152809, 0.14948653354641006]],
  // python3 -c "from scipy import stats; d = stats.beta(0.5, 5.5); print(repr(d.ppf(0.0050000000000000044)), repr(d.isf(0.0050000000000000044)))"
  ["0 of 5, Jeffreys prior Beta(0.5, 0.5)", beta(0.5, 5.5), 0.99, [3.7358187573931614e-06, 0.5263991706145997]],
  // python3 -c "from scipy import stats; d = stats.beta(1, 1e9 + 1); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["0 of 1e9", beta(1, 1e9 + 1), 0.95, [2.531780795865159e-11, 3.68887944362114e-09]],
  // (the continued fraction alone was 5e-8 off here: a tiny shape against a huge one)
  // python3 -c "from scipy import stats; d = stats.beta(0.5, 1e9 + 0.5); print(repr(d.ppf(0.04999999999999999)), repr(d.isf(0.04999999999999999)))"
  ["0 of 1e9, Jeffreys prior Beta(0.5, 0.5)", beta(0.5, 1e9 + 0.5), 0.9, [1.9660699995163113e-12, 1.9207294080222793e-9]],
  // python3 -c "from scipy import stats; d = stats.beta(1e8 + 1, 9e8 + 1); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["1e8 of 1e9", beta(1e8 + 1, 9e8 + 1), 0.95, [0.09998140770673433, 0.10001859540871418]],
  // python3 -c "from scipy import stats; d = stats.beta(1e9, 2); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["all but one of 1e9", beta(1e9, 2), 0.95, [0.9999999944283566, 0.9999999997577907]],
  // python3 -c "from scipy import stats; d = stats.beta(1e8 + 1, 9e8 + 1); print(repr(d.ppf(5.000000000143778e-07)), repr(d.isf(5.000000000143778e-07)))"
  ["1e8 of 1e9 at 99.9999 %", beta(1e8 + 1, 9e8 + 1), 0.999999, [0.09995360075702679, 0.1000464130713948]],
  // python3 -c "from scipy import stats; d = stats.t(1, 11, 1); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["t with 1 dof (n = 2)", student(1, 11, 1), 0.95, [-1.7062047361746941, 23.706204736174694]],
  // python3 -c "from scipy import stats; d = stats.t(2, 3, (14 / 6) ** 0.5); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["t with 2 dof (n = 3)", student(2, 3, Math.sqrt(14 / 6)), 0.95, [-3.572410607728428, 9.572410607728429]],
  // python3 -c "from scipy import stats; d = stats.t(29, 52.3, 0.8); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["t with 29 dof (n = 30)", student(29, 52.3, 0.8), 0.95, [50.66381628629384, 53.93618371370616]],
  // python3 -c "from scipy import stats; d = stats.t(1e6, -4.2, 1e-3); print(repr(d.ppf(0.025000000000000022)), repr(d.isf(0.025000000000000022)))"
  ["t with 1e6 dof", student(1e6, -4.2, 1e-3), 0.95, [-4.201959966356815, -4.198040033643186]],
  // python3 -c "from scipy import stats; d = stats.t(1, 0, 1); print(repr(d.ppf(5.000000000143778e-07)), repr(d.isf(5.000000000143778e-07)))"
  ["t with 1 dof at 99.9999 %", student(1, 0, 1), 0.999999, [-636619.7723487513, 636619.7723487513]],
];

void test("credible intervals of Beta, Gamma and Student-t posteriors match scipy", () => {
  for (const [label, posterior, level, expected] of CASES) assertInterval(credibleInterval(posterior, level), expected, label);
});

void test("Gamma intervals are ordered and hit their tail probabilities for small counts and extreme rates", () => {
  for (const [shape0, rate0] of [[1, 0], [0.5, 0], [0.001, 1]] as const) {
    for (let events = 0; events <= 60; events++) {
      for (const exposure of [1e-9, 1, 1e3, 1e9]) {
        const p = gamma(shape0 + events, rate0 + exposure);
        const [lower, upper] = credibleInterval(p, 0.95);
        const what = `Gamma(${shape0 + events}, ${rate0 + exposure})`;
        assert.ok(lower >= 0 && lower < upper && Number.isFinite(upper), `${what}: [${lower}, ${upper}]`);
        // A 2.5 % point below the smallest double (shape 0.001: near 1e-1602) is reported as 0.
        if (lower > 0) assertTail(cdf(p, lower), 0.025, lower, p, `${what}: P(X ≤ lower)`);
        else assert.ok(shape0 + events < 0.01, `${what}: lower bound 0`);
        assertTail(sf(p, upper), 0.025, upper, p, `${what}: P(X > upper)`);
      }
    }
  }
});

void test("Beta and Student-t intervals hit their tail probabilities across shapes", () => {
  const posteriors: Posterior[] = [];
  for (const trials of [1, 10, 1e3, 1e6, 1e9]) {
    for (const share of [0, 1e-6, 0.3, 1]) posteriors.push(beta(1 + Math.round(share * trials), 1 + trials - Math.round(share * trials)));
  }
  for (const dof of [1, 1.5, 2, 3, 10, 1e3, 1e7]) posteriors.push(student(dof, 100, 0.01));
  for (const p of posteriors) {
    for (const level of [0.5, 0.95, 0.999999]) {
      const tail = (1 - level) / 2;
      const [lower, upper] = credibleInterval(p, level);
      const what = `${JSON.stringify(p)} at ${level}`;
      assert.ok(lower < upper, `${what}: [${lower}, ${upper}]`);
      assertTail(cdf(p, lower), tail, lower, p, `${what}: P(X ≤ lower)`);
      assertTail(sf(p, upper), tail, upper, p, `${what}: P(X > upper)`);
    }
  }
});

/**
 * The posterior of a mean from (count, sum, sumOfSquares), end to end, against
 * test/unit/assessment/reference/mean_posterior.py: prior × Normal likelihood integrated numerically
 * over σ² and then over μ (no conjugate formula involved).
 */
const MEAN_CASES: [string, [number, number, number], Parameters<typeof meanPosterior>[3], [number, number]][] = [
  // python3 test/unit/assessment/reference/mean_posterior.py 2 22 244 0.95 jeffreys
  // (values 10 and 12: t with 1 dof, 6.5 times wider than the plug-in Normal's 11 ± 1.96)
  ["n = 2, Jeffreys", [2, 22, 244], "jeffreys", [-1.7062047361758463, 23.706204736175863]],
  // python3 test/unit/assessment/reference/mean_posterior.py 3 9 41 0.95 jeffreys
  ["n = 3, Jeffreys", [3, 9, 41], "jeffreys", [-3.5724106077258875, 9.572410607725326]],
  // python3 test/unit/assessment/reference/mean_posterior.py 5 60 740 0.95 nig 10 2 3 4
  ["n = 5, NIG(10, 2, 3, 4)", [5, 60, 740], { mean: 10, kappa: 2, alpha: 3, beta: 4 }, [9.97217792422807, 12.884964932914787]],
  // {mean: 10, sd: 0.5} is NIG(10, κ0 = s²/0.5² = 5/0.25 = 20, 0, 0):
  // python3 test/unit/assessment/reference/mean_posterior.py 5 60 740 0.95 nig 10 20 0 0
  ["n = 5, {mean: 10, sd: 0.5}", [5, 60, 740], { mean: 10, sd: 0.5 }, [9.020481025710007, 11.779518974289998]],
];

void test("the posterior of a mean (Jeffreys, NIG, {mean, sd}) matches numerical integration of prior × likelihood", () => {
  for (const [label, [count, sum, sumOfSquares], prior, expected] of MEAN_CASES) {
    const posterior = meanPosterior(count, sum, sumOfSquares, prior);
    assert.ok(posterior.ok, `${label}: ${posterior.ok ? "" : posterior.error}`);
    assertInterval(credibleInterval(posterior.value, 0.95), expected, label);
  }
  const twoObservations = meanPosterior(2, 22, 244, "jeffreys");
  assert.deepEqual(twoObservations.ok && twoObservations.value, { family: "student", dof: 1, location: 11, scale: 1 });
});

void test("far-tail quantiles (1e-20 on either side; the integration grids reach that far) match scipy", () => {
  const cases: [Posterior, [number, number]][] = [
    // python3 -c "from scipy import stats; d = stats.t(4, 10, 1); print(repr(d.ppf(1e-20)), repr(d.isf(1e-20)))"
    [student(4, 10, 1), [-131597.4012825853, 131617.4012825853]],
    // python3 -c "from scipy import stats; d = stats.t(1, 0, 1); print(repr(d.ppf(1e-20)), repr(d.isf(1e-20)))"
    [student(1, 0, 1), [-3.183098861837907e19, 3.183098861837907e19]],
    // python3 -c "from scipy import stats; d = stats.gamma(3, scale=1/1000); print(repr(d.ppf(1e-20)), repr(d.isf(1e-20)))"
    [gamma(3, 1000), [3.914868024323629e-10, 0.05334977407102547]],
    // python3 -c "from scipy import stats; d = stats.beta(21, 181); print(repr(d.ppf(1e-20)), repr(d.isf(1e-20)))"
    [beta(21, 181), [0.005298506720897339, 0.39279692233241437]],
  ];
  for (const [p, [lower, upper]] of cases) {
    const what = JSON.stringify(p);
    assert.ok(Math.abs(tailQuantile(p, 1e-20, false) / lower - 1) < 1e-9, `${what}: lower ${tailQuantile(p, 1e-20, false)} vs ${lower}`);
    assert.ok(Math.abs(tailQuantile(p, 1e-20, true) / upper - 1) < 1e-9, `${what}: upper ${tailQuantile(p, 1e-20, true)} vs ${upper}`);
  }
});
