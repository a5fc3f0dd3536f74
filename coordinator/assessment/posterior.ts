/**
 * Posterior distributions of one metric of one version, built from sample statistics and a prior.
 *
 * - rate (successes of trials): Beta(α0 + successes, β0 + failures); prior Beta(1, 1) by default.
 * - count (events over exposure): Gamma(α0 + events, β0 + exposure) (shape, rate); prior Gamma(1, 0)
 *   by default (flat on the rate; proper as soon as exposure > 0).
 * - mean (count, sum, sum of squares): Normal. With the default flat prior the posterior of the
 *   mean is N(x̄, s²/n) (s² the unbiased sample variance: the large-sample posterior, used as is
 *   for every n ≥ 2); a Normal prior N(m0, sd0²) is combined conjugately with that likelihood.
 */
import { betaPdf, gammaP, gammaPdf, gammaQ, ibeta, ibetac, invertCdf, lbeta, lgamma, normalCdf, normalPdf, normalQuantile } from "./special.js";
import type { Rng } from "./rng.js";

export type Posterior =
  | { readonly family: "beta"; readonly alpha: number; readonly beta: number }
  | { readonly family: "gamma"; readonly shape: number; readonly rate: number }
  | { readonly family: "normal"; readonly mean: number; readonly sd: number };

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

/** Normal prior of a mean. */
export interface NormalPrior {
  readonly mean: number;
  readonly sd: number;
}

/** The priors of one assessment. `mean: null` is the flat prior. */
export interface Priors {
  readonly rate: BetaPrior;
  readonly count: GammaPrior;
  readonly mean: NormalPrior | null;
}

export const DEFAULT_PRIORS: Priors = {
  rate: { alpha: 1, beta: 1 },
  count: { shape: 1, rate: 0 },
  mean: null,
};

/** Either a value or the reason there is none (never a made-up number). */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const fail = <T>(error: string): Outcome<T> => ({ ok: false, error });

function finite(name: string, value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) return `${name} must be a finite number (got ${String(value)})`;
  return undefined;
}

/** Beta posterior of a rate; errors on non-finite numbers, trials ≤ 0, successes outside [0, trials]. */
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

/** Normal posterior of a mean; errors when count < 2 or the sample variance is 0 or negative. */
export function meanPosterior(count: number, sum: number, sumOfSquares: number, prior: NormalPrior | null): Outcome<Posterior> {
  const bad = finite("count", count) ?? finite("sum", sum) ?? finite("sumOfSquares", sumOfSquares);
  if (bad !== undefined) return fail(bad);
  if (count < 2) return fail(`count must be ≥ 2 to estimate a variance (got ${count})`);
  const sampleMean = sum / count;
  const variance = (sumOfSquares - sum * sampleMean) / (count - 1);
  if (!(variance > 1e-12 * Math.max(sampleMean * sampleMean, Number.MIN_VALUE))) {
    return fail(`sample variance is ${variance <= 0 ? "0 or negative" : "too small"} (count ${count}, sum ${sum}, sumOfSquares ${sumOfSquares}): no posterior`);
  }
  const dataPrecision = count / variance;
  if (prior === null) return ok({ family: "normal", mean: sampleMean, sd: Math.sqrt(1 / dataPrecision) });
  const priorPrecision = 1 / (prior.sd * prior.sd);
  const precision = priorPrecision + dataPrecision;
  return ok({ family: "normal", mean: (prior.mean * priorPrecision + sampleMean * dataPrecision) / precision, sd: Math.sqrt(1 / precision) });
}

export function posteriorMean(p: Posterior): number {
  switch (p.family) {
    case "beta":
      return p.alpha / (p.alpha + p.beta);
    case "gamma":
      return p.shape / p.rate;
    case "normal":
      return p.mean;
  }
}

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
  }
}

/** P(X ≤ x). */
export function cdf(p: Posterior, x: number): number {
  switch (p.family) {
    case "beta":
      return ibeta(x, p.alpha, p.beta);
    case "gamma":
      return gammaP(p.shape, x * p.rate);
    case "normal":
      return normalCdf((x - p.mean) / p.sd);
  }
}

/** P(X > x), computed without cancellation. */
export function sf(p: Posterior, x: number): number {
  switch (p.family) {
    case "beta":
      return x <= 0 ? 1 : x >= 1 ? 0 : ibetac(x, p.alpha, p.beta);
    case "gamma":
      return gammaQ(p.shape, x * p.rate);
    case "normal":
      return normalCdf((p.mean - x) / p.sd);
  }
}

export function pdf(p: Posterior, x: number): number {
  switch (p.family) {
    case "beta":
      return betaPdf(x, p.alpha, p.beta);
    case "gamma":
      return gammaPdf(x, p.shape, p.rate);
    case "normal":
      return normalPdf((x - p.mean) / p.sd) / p.sd;
  }
}

/** The support's bounds. */
export function support(p: Posterior): readonly [number, number] {
  switch (p.family) {
    case "beta":
      return [0, 1];
    case "gamma":
      return [0, Infinity];
    case "normal":
      return [-Infinity, Infinity];
  }
}

/** Inverse cdf. */
export function quantile(p: Posterior, q: number): number {
  if (p.family === "normal") return p.mean + p.sd * normalQuantile(q);
  const [lo, hi] = support(p);
  const guess = Math.max(posteriorMean(p) + posteriorSd(p) * normalQuantile(q), posteriorMean(p) * 1e-3);
  return invertCdf(q, (x) => cdf(p, x), (x) => pdf(p, x), lo, hi, Math.min(guess, p.family === "beta" ? 1 - 1e-12 : guess));
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
  }
}

/** Equal-tailed credible interval at `level` (e.g. 0.95). */
export function credibleInterval(p: Posterior, level: number): [number, number] {
  const tail = (1 - level) / 2;
  return [quantile(p, tail), quantile(p, 1 - tail)];
}

/** cdf, survival and density of one posterior with its normalising constants computed once. */
export interface Evaluator {
  cdf(x: number): number;
  sf(x: number): number;
  pdf(x: number): number;
}

export function evaluator(p: Posterior): Evaluator {
  switch (p.family) {
    case "beta": {
      const lnB = lbeta(p.alpha, p.beta);
      return {
        cdf: (x) => ibeta(x, p.alpha, p.beta, lnB),
        sf: (x) => (x <= 0 ? 1 : x >= 1 ? 0 : ibetac(x, p.alpha, p.beta, lnB)),
        pdf: (x) => betaPdf(x, p.alpha, p.beta, lnB),
      };
    }
    case "gamma": {
      const lnG = lgamma(p.shape);
      return {
        cdf: (x) => gammaP(p.shape, x * p.rate, lnG),
        sf: (x) => gammaQ(p.shape, x * p.rate, lnG),
        pdf: (x) => gammaPdf(x, p.shape, p.rate, lnG),
      };
    }
    case "normal":
      return { cdf: (x) => cdf(p, x), sf: (x) => sf(p, x), pdf: (x) => pdf(p, x) };
  }
}
