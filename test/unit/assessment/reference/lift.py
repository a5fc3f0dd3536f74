#!/usr/bin/env python3
"""Reference lift interval, independent of Assay's code: scipy's distributions and adaptive
quadrature (scipy.integrate.quad) for P(L <= l), L = (X - B)/|B|, solved with brentq.

usage: lift.py FAMILY P1 P2 [P3] FAMILY P1 P2 [P3] LEVEL   (version X first, baseline B second)
  beta ALPHA BETA | gamma SHAPE RATE | student DOF LOCATION SCALE | normal MEAN SD
prints the lower and upper bound (repr, 17 digits)."""
import sys
from scipy import stats, integrate, optimize


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
    x, b = dist(args), dist(args)
    level = float(args.pop(0))
    tail = (1 - level) / 2
    lo, hi = b.ppf(1e-13), b.isf(1e-13)
    brk = sorted({lo, hi, b.median(), b.ppf(0.01), b.isf(0.01), b.ppf(1e-6), b.isf(1e-6)} | ({0.0} if lo < 0 < hi else set()))

    def cdf(l):
        f = lambda v: b.pdf(v) * x.cdf(v + l * abs(v))
        return sum(integrate.quad(f, a, c, epsabs=1e-14, epsrel=1e-12, limit=500)[0] for a, c in zip(brk, brk[1:]))

    def sf(l):
        f = lambda v: b.pdf(v) * x.sf(v + l * abs(v))
        return sum(integrate.quad(f, a, c, epsabs=1e-14, epsrel=1e-12, limit=500)[0] for a, c in zip(brk, brk[1:]))

    def solve(g, target):
        a, c = -0.5, 0.5
        while g(a) > 0:
            a = a * 2 if a < -1 or lo < 0 else (a - 1) / 2
        while g(c) < 0:
            c *= 2
        return optimize.brentq(g, a, c, xtol=1e-15, rtol=1e-13, maxiter=500)

    lower = solve(lambda l: cdf(l) - tail, tail)
    upper = solve(lambda l: tail - sf(l), tail)
    print(repr(lower), repr(upper))


main()
