/**
 * Posterior distributions of one metric of one version, built from sample statistics and a prior,
 * with their cdf, survival function, density, quantiles, moments and a sampler.
 *
 * - rate (successes of trials): Beta(α0 + successes, β0 + failures); prior Beta(1, 1) by default.
 * - count (events over exposure): Gamma(α0 + events, β0 + exposure) (shape, rate); prior Gamma(1, 0)
 *   by default (flat on the rate; proper as soon as exposure > 0).
 * - mean (count, sum, sum of squares): Normal observations with unknown mean and variance under a
 *   Normal-Inverse-Gamma prior; the marginal posterior of the mean is Student-t. The default is the
 *   noninformative (Jeffreys) prior p(μ, σ²) ∝ 1/σ², which gives t with n − 1 degrees of freedom,
 *   centred on the sample mean with scale s/√n.
 */
import {
  betaDensity,
  betaShape,
  gammaDensity,
  gammaShape,
  gammaTail,
  ibetaTail,
  normalCdf,
  normalPdf,
  normalQuantile,
  solveIncreasing,
  studentCdf,
  studentPdf,
  studentShape,
} from "./special.js";
import type { BetaShape, GammaShape, StudentShape } from "./special.js";
import type { Rng } from "./rng.js";

export type Posterior =
  | { readonly family: "beta"; readonly alpha: number; readonly beta: number }
  | { readonly family: "gamma"; readonly shape: number; readonly rate: number }
  | { readonly family: "normal"; readonly mean: number; readonly sd: number }
  /** location + scale·T, T a standard Student-t with `dof` degrees of freedom. */
  | { readonly family: "student"; readonly dof: number; readonly location: number; readonly scale: number };

/** Beta(alpha, beta) prior of a rate. */
export interface BetaPrior {
  readonly alpha: number;
  readonly beta: number;
}

/** Gamma(shape, rate) prior of an event rate (rate 0 = improper flat-ish prior). */
export interface GammaPrior {
  readonly shape: number;
  readonly rate: number;
}

/**
 * Normal-Inverse-Gamma prior of a mean μ and variance σ²: μ | σ² ~ N(mean, σ²/kappa),
 * σ² ~ Inverse-Gamma(alpha, beta). Prior guess `mean` worth `kappa` observations; `alpha`, `beta`
 * a prior variance guess beta/alpha worth 2·alpha observations.
 */
export interface NigPrior {
  readonly mean: number;
  readonly kappa: number;
  readonly alpha: number;
  readonly beta: number;
}

/**
 * The earlier prior form `{mean, sd}`: a Normal belief about the mean. Kept as a special case of
 * the NIG: kappa = s²/sd² (s² the sample variance, so the prior's precision on the mean is 1/sd²
 * at the measured variance), alpha = beta = 0 (the Jeffreys prior 1/σ² on the variance).
 */
export interface NormalPrior {
  readonly mean: number;
  readonly sd: number;
}

/** Prior of a mean: the Jeffreys prior (default), a NIG, or the `{mean, sd}` special case. */
export type MeanPrior = "jeffreys" | NigPrior | NormalPrior;

/** The priors of one assessment. */
export interface Priors {
  readonly rate: BetaPrior;
  readonly count: GammaPrior;
  readonly mean: MeanPrior;
}

export const DEFAULT_PRIORS: Priors = {
  rate: { alpha: 1, beta: 1 },
  count: { shape: 1, rate: 0 },
  mean: "jeffreys",
};

/** Either a value or the reason there is none (never a made-up number). */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const fail = <T>(error: string): Outcome<T> => ({ ok: false, error });

function finite(name: string, value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) return `${name} is not a finite number (got ${String(value)})`;
  return undefined;
}

/**
 * Beta posterior of a rate; errors on non-finite numbers, trials ≤ 0, successes outside [0, trials].
 * Counts need not be whole here (a metrics backend's extrapolated increase() is a fractional count);
 * `analyze` input is checked for whole numbers before it gets here.
 */
export function ratePosterior(successes: number, trials: number, prior: BetaPrior): Outcome<Posterior> {
  const bad = finite("successes", successes) ?? finite("trials", trials);
  if (bad !== undefined) return fail(bad);
  if (trials <= 0) return fail(`trials must be > 0 (got ${trials})`);
  if (successes < 0 || successes > trials) return fail(`successes must be between 0 and trials (got ${successes} of ${trials})`);
  return ok({ family: "beta", alpha: prior.alpha + successes, beta: prior.beta + trials - successes });
}

/** Gamma posterior of an event rate; errors on non-finite numbers, events < 0, exposure ≤ 0. */
export function countPosterior(events: number, exposure: number, prior: GammaPrior): Outcome<Posterior> {
  const bad = finite("events", events) ?? finite("exposure", exposure);
  if (bad !== undefined) return fail(bad);
  if (events < 0) return fail(`events must be ≥ 0 (got ${events})`);
  if (exposure <= 0) return fail(`exposure must be > 0 (got ${exposure})`);
  return ok({ family: "gamma", shape: prior.shape + events, rate: prior.rate + exposure });
}

/**
 * Below this fraction of sumOfSquares, SS = sumOfSquares − sum²/count is rounding noise: the sums
 * carry a relative error of at least 1e-16 per addition, so such a variance is taken as 0.
 */
export const VARIANCE_ROUNDING = 1e-12;

/** The centred sum of squares SS = Σ(x − x̄)², or why the statistics are impossible. */
export function centredSumOfSquares(count: number, sum: number, sumOfSquares: number): Outcome<number> {
  const ss = sumOfSquares - sum * (sum / count);
  const noise = VARIANCE_ROUNDING * Math.abs(sumOfSquares);
  if (ss < -noise) return fail(`sumOfSquares (${sumOfSquares}) is less than sum²/count (${sum * (sum / count)}): not the statistics of real observations`);
  return ok(ss <= noise ? 0 : ss);
}

export const isNig = (p: MeanPrior): p is NigPrior => typeof p === "object" && "kappa" in p;

/**
 * Student-t posterior of a mean from count, sum and sum of squares. Jeffreys: needs count ≥ 2 and
 * a variance above rounding (SS > 1e-12·sumOfSquares); NIG: count ≥ 1 and a positive posterior
 * scale; `{mean, sd}`: count ≥ 2 and a variance (it is calibrated on the sample variance).
 */
export function meanPosterior(count: number, sum: number, sumOfSquares: number, prior: MeanPrior): Outcome<Posterior> {
  const bad = finite("count", count) ?? finite("sum", sum) ?? finite("sumOfSquares", sumOfSquares);
  if (bad !== undefined) return fail(bad);
  if (count <= 0) return fail(`count must be > 0 (got ${count})`);
  const n = count;
  const xbar = sum / n;
  const centred = centredSumOfSquares(n, sum, sumOfSquares);
  if (!centred.ok) return centred;
  const ss = centred.value;
  const zeroVariance = `the sample variance is 0 (count ${count}, sum ${sum}, sumOfSquares ${sumOfSquares}; differences below 1e-12·sumOfSquares are rounding): no posterior under the ${prior === "jeffreys" ? "Jeffreys" : "{mean, sd}"} prior`;
  let nig: NigPrior;
  if (prior === "jeffreys") {
    if (n < 2) return fail(`count must be ≥ 2 to estimate a variance (got ${count})`);
    if (ss === 0) return fail(zeroVariance);
    // The Jeffreys prior 1/σ² is the NIG limit kappa → 0, alpha = −½, beta = 0.
    return ok({ family: "student", dof: n - 1, location: xbar, scale: Math.sqrt(ss / (n * (n - 1))) });
  }
  if (isNig(prior)) nig = prior;
  else {
    if (n < 2) return fail(`count must be ≥ 2 for the {mean, sd} prior (it is calibrated on the sample variance; got ${count})`);
    if (ss === 0) return fail(zeroVariance);
    nig = { mean: prior.mean, kappa: ss / (n - 1) / (prior.sd * prior.sd), alpha: 0, beta: 0 };
  }
  const kappaN = nig.kappa + n;
  const alphaN = nig.alpha + n / 2;
  const betaN = nig.beta + ss / 2 + (nig.kappa * n * (xbar - nig.mean) ** 2) / (2 * kappaN);
  if (!(betaN > 0)) return fail(zeroVariance);
  return ok({ family: "student", dof: 2 * alphaN, location: (nig.kappa * nig.mean + n * xbar) / kappaN, scale: Math.sqrt(betaN / (alphaN * kappaN)) });
}

/** Posterior mean; NaN when it does not exist (Student-t with ≤ 1 degree of freedom). */
export function posteriorMean(p: Posterior): number {
  switch (p.family) {
    case "beta":
      return p.alpha / (p.alpha + p.beta);
    case "gamma":
      return p.shape / p.rate;
    case "normal":
      return p.mean;
    case "student":
      return p.dof > 1 ? p.location : NaN;
  }
}

/** Posterior standard deviation; Infinity when the variance does not exist (t with ≤ 2 dof). */
export function posteriorSd(p: Posterior): number {
  switch (p.family) {
    case "beta": {
      const n = p.alpha + p.beta;
      return Math.sqrt((p.alpha * p.beta) / (n * n * (n + 1)));
    }
    case "gamma":
      return Math.sqrt(p.shape) / p.rate;
    case "normal":
      return p.sd;
    case "student":
      return p.dof > 2 ? p.scale * Math.sqrt(p.dof / (p.dof - 2)) : Infinity;
  }
}

/** A width that describes the bulk of the distribution (the sd, or the t's scale when heavy-tailed). */
export function posteriorWidth(p: Posterior): number {
  return p.family === "student" && p.dof <= 3 ? p.scale : posteriorSd(p);
}

/** Why the posterior mean does not exist, or undefined when it does. */
export function undefinedMeanReason(p: Posterior): string | undefined {
  if (p.family !== "student" || p.dof > 1) return undefined;
  return `Student-t with ${p.dof} degree${p.dof === 1 ? "" : "s"} of freedom (2 observations under the Jeffreys prior give 1), which has no mean`;
}

/** The support's bounds. */
export function support(p: Posterior): readonly [number, number] {
  switch (p.family) {
    case "beta":
      return [0, 1];
    case "gamma":
      return [0, Infinity];
    case "normal":
    case "student":
      return [-Infinity, Infinity];
  }
}

/** cdf, survival and density of one posterior with its normalising constants computed once. */
export interface Evaluator {
  cdf(x: number): number;
  sf(x: number): number;
  pdf(x: number): number;
}

function betaEvaluator(shape: BetaShape): Evaluator {
  return { cdf: (x) => ibetaTail(x, shape, false), sf: (x) => ibetaTail(x, shape, true), pdf: (x) => betaDensity(x, shape) };
}

function gammaEvaluator(shape: GammaShape, rate: number): Evaluator {
  return { cdf: (x) => gammaTail(x * rate, shape, false), sf: (x) => gammaTail(x * rate, shape, true), pdf: (x) => rate * gammaDensity(x * rate, shape) };
}

function studentEvaluator(shape: StudentShape, location: number, scale: number): Evaluator {
  return {
    cdf: (x) => studentCdf((x - location) / scale, shape),
    sf: (x) => studentCdf((location - x) / scale, shape),
    pdf: (x) => studentPdf((x - location) / scale, shape) / scale,
  };
}

export function evaluator(p: Posterior): Evaluator {
  switch (p.family) {
    case "beta":
      return betaEvaluator(betaShape(p.alpha, p.beta));
    case "gamma":
      return gammaEvaluator(gammaShape(p.shape), p.rate);
    case "normal":
      return {
        cdf: (x) => normalCdf((x - p.mean) / p.sd),
        sf: (x) => normalCdf((p.mean - x) / p.sd),
        pdf: (x) => normalPdf((x - p.mean) / p.sd) / p.sd,
      };
    case "student":
      return studentEvaluator(studentShape(p.dof), p.location, p.scale);
  }
}

/** P(X ≤ x). */
export function cdf(p: Posterior, x: number): number {
  return evaluator(p).cdf(x);
}

/** P(X > x), computed without cancellation. */
export function sf(p: Posterior, x: number): number {
  return evaluator(p).sf(x);
}

export function pdf(p: Posterior, x: number): number {
  return evaluator(p).pdf(x);
}

/** Relative precision the quantiles are solved to (on the log or logit axis for Beta and Gamma). */
const QUANTILE_TOL = 1e-14;

/**
 * A lower quantile below the smallest double (a Gamma with shape 0.001 has its 2.5 % point near
 * 1e-1602): the solve stops at a subnormal number whose cdf is far above the target; it is 0.
 */
function belowDoubleRange(x: number, cdfAt: () => number, upper: boolean, prob: number): boolean {
  return !upper && x < 2.2250738585072014e-308 && cdfAt() > prob * (1 + 1e-6);
}

/**
 * The x with P(X ≤ x) = prob (`upper` false) or P(X > x) = prob (`upper` true). Beta quantiles are
 * solved on the logit axis and Gamma quantiles on the log axis, so bounds near 0 (no events, a rate
 * of a few per billion) keep full relative precision; the bracket widens until it holds the target.
 */
export function tailQuantile(p: Posterior, prob: number, upper: boolean): number {
  const z = (upper ? -normalQuantile(prob) : normalQuantile(prob));
  switch (p.family) {
    case "normal":
      return upper ? p.mean - p.sd * normalQuantile(prob) : p.mean + p.sd * normalQuantile(prob);
    case "beta": {
      const shape = betaShape(p.alpha, p.beta);
      const mean = posteriorMean(p);
      const guess = Math.min(Math.max(mean + posteriorSd(p) * z, mean * 1e-3), 1 - (1 - mean) * 1e-3);
      const h = (u: number): number => {
        const x = 1 / (1 + Math.exp(-u));
        return upper ? prob - ibetaTail(x, shape, true) : ibetaTail(x, shape, false) - prob;
      };
      const dh = (u: number): number => {
        const x = 1 / (1 + Math.exp(-u));
        return betaDensity(x, shape) * x * (1 - x);
      };
      const x = 1 / (1 + Math.exp(-solveIncreasing(h, dh, Math.log(guess / (1 - guess)), 1, QUANTILE_TOL)));
      return belowDoubleRange(x, () => ibetaTail(x, shape, false), upper, prob) ? 0 : x;
    }
    case "gamma": {
      const shape = gammaShape(p.shape);
      const a = p.shape;
      const wilsonHilferty = a * (1 - 1 / (9 * a) + z / (3 * Math.sqrt(a))) ** 3;
      const guess = wilsonHilferty > 0 ? wilsonHilferty : Math.max(a * 1e-3, 1e-300);
      const h = (u: number): number => (upper ? prob - gammaTail(Math.exp(u), shape, true) : gammaTail(Math.exp(u), shape, false) - prob);
      const dh = (u: number): number => {
        const y = Math.exp(u);
        return gammaDensity(y, shape) * y;
      };
      const y = Math.exp(solveIncreasing(h, dh, Math.log(guess), 1, QUANTILE_TOL));
      return belowDoubleRange(y, () => gammaTail(y, shape, false), upper, prob) ? 0 : y / p.rate;
    }
    case "student": {
      const shape = studentShape(p.dof);
      const h = (t: number): number => (upper ? prob - studentCdf(-t, shape) : studentCdf(t, shape) - prob);
      const dh = (t: number): number => studentPdf(t, shape);
      return p.location + p.scale * solveIncreasing(h, dh, z, 1, QUANTILE_TOL);
    }
  }
}

/** Inverse cdf. */
export function quantile(p: Posterior, q: number): number {
  return q > 0.5 ? tailQuantile(p, 1 - q, true) : tailQuantile(p, q, false);
}

/** Equal-tailed credible interval at `level` (e.g. 0.95). */
export function credibleInterval(p: Posterior, level: number): [number, number] {
  const tail = (1 - level) / 2;
  return [tailQuantile(p, tail, false), tailQuantile(p, tail, true)];
}

/** One posterior draw. */
export function sample(p: Posterior, rng: Rng): number {
  switch (p.family) {
    case "beta":
      return rng.beta(p.alpha, p.beta);
    case "gamma":
      return rng.gamma(p.shape) / p.rate;
    case "normal":
      return p.mean + p.sd * rng.normal();
    case "student":
      return p.location + (p.scale * rng.normal()) / Math.sqrt((2 * rng.gamma(p.dof / 2)) / p.dof);
  }
}
