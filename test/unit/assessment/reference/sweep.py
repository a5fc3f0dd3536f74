#!/usr/bin/env python3
"""A broad sweep of reference values for the assessment's numbers (docs/assessment.md's precision
table): credible intervals over a grid of shapes and levels (scipy's ppf/isf), P(best) and expected
loss of random arm sets (pbest.py's quadrature), and lift intervals (lift.py's quadrature).
Random cases come from a fixed seed. Writes JSON to stdout; sweep.ts compares Assay against it:

  python3 test/unit/assessment/reference/sweep.py > /tmp/sweep.json
  npm run build && node dist/test/unit/assessment/reference/sweep.js /tmp/sweep.json
"""
import json
import os
import random
import subprocess
import sys
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
LEVELS = [0.5, 0.9, 0.95, 0.99, 0.999999]


def frozen(arm):
    family, params = arm[0], arm[1:]
    if family == "beta":
        return stats.beta(*params)
    if family == "gamma":
        return stats.gamma(params[0], scale=1 / params[1])
    return stats.t(*params)


intervals = []
for a in [0.5, 1, 3, 30, 1e3, 1e6, 1e9]:
    for b in [0.5, 1, 3, 30, 1e3, 1e6, 1e9]:
        intervals.append(["beta", a, b])
for shape in [0.01, 0.5, 1, 2, 3, 10, 1e3, 1e6, 1e9]:
    for rate in [1e-9, 1, 1e9]:
        intervals.append(["gamma", shape, rate])
for dof in [1, 1.5, 2, 3, 5, 29, 1e3, 1e6]:
    intervals.append(["student", dof, 0, 1])
interval_rows = []
for arm in intervals:
    d = frozen(arm)
    for level in LEVELS:
        tail = (1 - level) / 2
        lower, upper = float(d.ppf(tail)), float(d.isf(tail))
        # scipy's own round trip: at extreme shapes (Beta(1000, 1e9)) its ppf/isf can be wrong;
        # such a reference is marked and not used.
        consistent = abs(d.cdf(lower) - tail) <= 1e-9 * tail and abs(d.sf(upper) - tail) <= 1e-9 * tail and lower < upper
        interval_rows.append({"arm": arm, "level": level, "bounds": [lower, upper], "consistent": bool(consistent)})

rng = random.Random(14)


def random_arm(family):
    if family == "beta":
        trials = 10 ** rng.uniform(1, 9)
        share = rng.uniform(0.01, 0.5)
        jitter = 1 + rng.uniform(-3, 3) / trials ** 0.5
        s = round(trials * share * jitter)
        return ["beta", s + 1, round(trials) - s + 1]
    if family == "gamma":
        events = round(10 ** rng.uniform(0, 6))
        return ["gamma", events + 1, round(events * rng.uniform(0.8, 1.25)) + 1.0]
    dof = rng.choice([1, 2, 3, 5, 10, 100, 1e4])
    return ["student", dof, 10 + rng.uniform(-1, 1), rng.uniform(0.2, 1)]


def args_of(arm):
    return " ".join(str(v) for v in arm)


pbest_rows = []
for i in range(36):
    family = ["beta", "gamma", "student"][i % 3]
    k = 2 + i % 4
    base = random_arm(family)
    def near(arm):
        # a competitor within a few standard errors of the base arm
        spread = max(1, round(3 * arm[1] ** 0.5))
        shift = rng.randint(-spread, spread)
        return ["beta", max(1, arm[1] + shift), max(1, arm[2] - shift)]
    arms = [base] + [random_arm(family) if family != "beta" else near(base) for _ in range(k - 1)]
    direction = "max" if i % 2 == 0 else "min"
    command = [sys.executable, os.path.join(HERE, "pbest.py"), direction] + " ".join(args_of(a) for a in arms).split()
    out = subprocess.run(command, capture_output=True, text=True).stdout.split()
    values = [float(v) for v in out]
    pbest_rows.append({"arms": arms, "direction": direction, "pBest": values[0::2], "loss": [None if v != v else v for v in values[1::2]]})

lift_rows = []
for i in range(30):
    family = ["beta", "gamma", "student"][i % 3]
    x, b = random_arm(family), random_arm(family)
    level = [0.9, 0.95, 0.99][i % 3]
    out = subprocess.run([sys.executable, os.path.join(HERE, "lift.py")] + f"{args_of(x)} {args_of(b)} {level}".split(), capture_output=True, text=True).stdout.split()
    if len(out) == 2:
        lift_rows.append({"version": x, "baseline": b, "level": level, "bounds": [float(out[0]), float(out[1])]})

json.dump({"intervals": interval_rows, "pbest": pbest_rows, "lift": lift_rows}, sys.stdout)
