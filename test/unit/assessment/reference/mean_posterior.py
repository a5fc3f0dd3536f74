#!/usr/bin/env python3
"""Reference credible interval of a mean under a Normal-Inverse-Gamma or Jeffreys prior,
independent of Assay's conjugate formulas: the joint posterior of (mu, sigma^2), prior times the
Normal likelihood of the data summary (count, sum, sumOfSquares), is integrated numerically over
sigma^2 (scipy.integrate.quad) to give the marginal density of mu, which is integrated again for
its cdf; the bounds are solved with brentq. Uses mpmath-free double precision with log-scaling.

usage: mean_posterior.py COUNT SUM SUMOFSQUARES LEVEL jeffreys
       mean_posterior.py COUNT SUM SUMOFSQUARES LEVEL nig MU0 KAPPA0 ALPHA0 BETA0
prints the lower and upper bound (repr)."""
import math
import sys
from scipy import integrate, optimize

args = sys.argv[1:]
n, total, squares, level = float(args[0]), float(args[1]), float(args[2]), float(args[3])
prior = args[4]
xbar = total / n
ss = squares - total * xbar
jeffreys = prior == "jeffreys"
mu0, k0, a0, b0 = (0.0, 0.0, 0.0, 0.0) if jeffreys else (float(v) for v in args[5:9])


def log_prior(mu, s2):
    if jeffreys:
        return -math.log(s2)                     # p(mu, s2) ∝ 1/s2
    # InvGamma(s2; a0, b0) * Normal(mu; mu0, s2/k0), unnormalised
    return -(a0 + 1) * math.log(s2) - b0 / s2 - 0.5 * math.log(s2) - k0 * (mu - mu0) ** 2 / (2 * s2)


def log_joint(mu, s2):
    ll = -(n / 2) * math.log(s2) - (ss + n * (xbar - mu) ** 2) / (2 * s2)
    return log_prior(mu, s2) + ll


scale_guess = math.sqrt(max(ss, 1e-300) / n / max(n - 1, 1)) if ss > 0 else math.sqrt(b0 / max(a0, 1) / (k0 + n))
centre = (k0 * mu0 + n * xbar) / (k0 + n)
peak = max(log_joint(centre, s2) for s2 in [scale_guess ** 2 * n * 10 ** (k / 4) for k in range(-40, 41)])


def density(mu):
    f = lambda t: math.exp(log_joint(mu, math.exp(t)) - peak + t)   # s2 = e^t, ds2 = e^t dt
    return integrate.quad(f, -200, 200, limit=400, epsabs=0, epsrel=1e-11, points=[math.log(scale_guess ** 2 * n)])[0]


grid = [centre + scale_guess * k for k in (-1000, -100, -10, -3, -1, 0, 1, 3, 10, 100, 1000)]


def mass(a, b):
    return integrate.quad(density, a, b, limit=400, epsabs=0, epsrel=1e-12)[0]


left = mass(-math.inf, grid[0])
pieces = [mass(a, b) for a, b in zip(grid, grid[1:])]
norm = left + sum(pieces) + mass(grid[-1], math.inf)


def cdf(x):
    total, prev = left, grid[0]
    if x < prev:
        return mass(-math.inf, x) / norm
    for g, piece in zip(grid[1:], pieces):
        if g > x:
            break
        total, prev = total + piece, g
    return (total + mass(prev, x)) / norm


tail = (1 - level) / 2
lower = optimize.brentq(lambda x: cdf(x) - tail, centre - 1e6 * scale_guess, centre, xtol=1e-14 * abs(centre) + 1e-300, rtol=1e-13)
upper = optimize.brentq(lambda x: cdf(x) - (1 - tail), centre, centre + 1e6 * scale_guess, xtol=1e-14 * abs(centre) + 1e-300, rtol=1e-13)
print(repr(lower), repr(upper))
