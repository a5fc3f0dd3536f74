#!/usr/bin/env python3
"""Reference P(best) and expected loss, independent of Assay's code: scipy's distributions and
adaptive quadrature (scipy.integrate.quad over the whole real line, split at every arm's median).

usage: pbest.py max|min FAMILY P1 P2 [P3] [FAMILY P1 P2 [P3] ...]
  beta ALPHA BETA | gamma SHAPE RATE | student DOF LOCATION SCALE | normal MEAN SD
prints, per arm: P(best) and expected loss (nan when an arm has no mean), repr to 17 digits."""
import math
import sys
from scipy import stats, integrate


def dist(args):
    family = args.pop(0)
    if family == "beta":
        return stats.beta(float(args.pop(0)), float(args.pop(0)))
    if family == "gamma":
        shape, rate = float(args.pop(0)), float(args.pop(0))
        return stats.gamma(shape, scale=1 / rate)
    if family == "student":
        return stats.t(float(args.pop(0)), float(args.pop(0)), float(args.pop(0)))
    if family == "normal":
        return stats.norm(float(args.pop(0)), float(args.pop(0)))
    raise SystemExit(f"unknown family {family}")


def main():
    args = sys.argv[1:]
    direction = args.pop(0)
    arms = []
    while args:
        arms.append(dist(args))
    sign = 1 if direction == "max" else -1
    worse = (lambda d, x: d.cdf(x)) if sign > 0 else (lambda d, x: d.sf(x))
    points = sorted({p for d in arms for p in (d.ppf(1e-12), d.ppf(1e-6), d.ppf(0.01), d.median(), d.isf(0.01), d.isf(1e-6), d.isf(1e-12))})
    edges = [-math.inf] + points + [math.inf]

    def quad(f):
        return sum(integrate.quad(f, a, b, epsabs=1e-15, epsrel=1e-12, limit=1000)[0] for a, b in zip(edges, edges[1:]))

    has_mean = all(math.isfinite(d.mean()) for d in arms)
    for i, d in enumerate(arms):
        others = [o for j, o in enumerate(arms) if j != i]
        prod = lambda x: math.prod(worse(o, x) for o in others)
        p = quad(lambda x: d.pdf(x) * prod(x))
        loss = quad(lambda x: worse(d, x) * (1 - prod(x))) if has_mean else math.nan
        print(repr(p), repr(loss))


main()
