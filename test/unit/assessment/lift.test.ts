/**
 * Lift intervals — the equal-tailed interval of (X − B)/|B| for a version X against the baseline B
 * — against reference values from test/unit/assessment/reference/lift.py (scipy's adaptive
 * quadrature and brentq, independent of Assay's code). The command is beside each value.
 * Tolerance: 1e-7 × max(|bound|, width), inside the promise of 0.005 × max(|bound|, width).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { liftInterval } from "../../../coordinator/assessment/index.js";
import type { Posterior } from "../../../coordinator/assessment/index.js";

const beta = (alpha: number, b: number): Posterior => ({ family: "beta", alpha, beta: b });
const gamma = (shape: number, rate: number): Posterior => ({ family: "gamma", shape, rate });
const student = (dof: number, location: number, scale: number): Posterior => ({ family: "student", dof, location, scale });

const CASES: [string, Posterior, Posterior, number, [number, number]][] = [
  // python3 test/unit/assessment/reference/lift.py beta 36 166 beta 21 181 0.95
  ["35/200 against 20/200", beta(36, 166), beta(21, 181), 0.95, [0.0533334906448587, 1.9102072835232862]],
  // python3 test/unit/assessment/reference/lift.py beta 2501 17501 beta 2001 18001 0.95
  ["2500/20000 against 2000/20000", beta(2501, 17501), beta(2001, 18001), 0.95, [0.18260119333571753, 0.3212485964268725]],
  // python3 test/unit/assessment/reference/lift.py beta 3 299 beta 1 1001 0.95
  ["2 of 300 against 0 of 1000 (skewed)", beta(3, 299), beta(1, 1001), 0.95, [0.37808372379792793, 390.1288007692208]],
  // python3 test/unit/assessment/reference/lift.py beta 100001501 899998501 beta 100000001 900000001 0.95
  ["conversion at 1e9 trials", beta(100001501, 899998501), beta(100000001, 900000001), 0.95, [-0.00024792503994038766, 0.0002779941866682417]],
  // python3 test/unit/assessment/reference/lift.py gamma 21 1000 gamma 31 1000 0.95
  ["Gamma: 20 against 30 events", gamma(21, 1000), gamma(31, 1000), 0.95, [-0.6190840584688861, 0.16853418498091932]],
  // python3 test/unit/assessment/reference/lift.py gamma 1 1000 gamma 3 1000 0.9
  ["Gamma: 0 against 2 events", gamma(1, 1000), gamma(3, 1000), 0.9, [-0.9827552318088904, 0.7144176165930972]],
  // python3 test/unit/assessment/reference/lift.py student 3999 54.7 0.316 student 3999 52 0.316 0.95
  ["t means, n = 4000", student(3999, 54.7, 0.316), student(3999, 52, 0.316), 0.95, [0.03477886419801744, 0.06936595280374902]],
  // python3 test/unit/assessment/reference/lift.py student 1 12 1 student 4 10 1 0.95
  ["t means, version with n = 2 (1 dof)", student(1, 12, 1), student(4, 10, 1), 0.95, [-1.0705822752430414, 1.7073349137750882]],
  // python3 test/unit/assessment/reference/lift.py student 10 0.5 1 student 10 1 0.4 0.9
  ["t means, baseline near 0", student(10, 0.5, 1), student(10, 1, 0.4), 0.9, [-2.601500482797305, 2.6087783166058705]],
];

void test("lift intervals match numerical integration of the ratio's distribution", () => {
  for (const [label, version, baseline, level, expected] of CASES) {
    const actual = liftInterval(version, baseline, level);
    assert.ok(actual !== null, `${label}: no interval`);
    const width = expected[1] - expected[0];
    actual.forEach((bound, i) => {
      const ref = expected[i] ?? NaN;
      const tolerance = 1e-7 * Math.max(Math.abs(ref), width);
      assert.ok(Math.abs(bound - ref) <= tolerance, `${label} bound ${i}: ${bound} vs ${ref} (tolerance ${tolerance})`);
    });
  }
});

void test("lift intervals are deterministic and need no seed", () => {
  const a = liftInterval(beta(36, 166), beta(21, 181), 0.95);
  assert.deepEqual(liftInterval(beta(36, 166), beta(21, 181), 0.95), a);
});
