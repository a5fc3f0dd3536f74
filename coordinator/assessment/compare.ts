/**
 * P(best) and expected loss across versions of one reward metric.
 *
 * - Two arms of the same family: closed forms (Evan Miller's sum for Beta arms with an integer
 *   shape, its Gamma–Poisson analogue in incomplete-beta form, Φ(Δ/σ) for Normal arms).
 * - Otherwise (three or more arms, Student-t arms, mixed families): numerical integration,
 *   P(i best) = ∫ f_i(x) Π_{j≠i} F_j(x) dx and expected loss E[max(best other − X_i, 0)] =
 *   ∫ F_i(t) (1 − Π_{j≠i} F_j(t)) dt (mirrored with survival functions for a `min` reward), by
 *   composite Gauss–Legendre on panels placed on every arm's own scale (quadrature.ts).
 * - Expected loss does not exist when an arm has no posterior mean (Student-t with ≤ 1 dof): NaN.
 * - Seeded Monte Carlo when the integration does not add up (a safety net) and as a test oracle.
 */
import { evaluator, posteriorMean, sample } from "./posterior.js";
import type { Evaluator, Posterior } from "./posterior.js";
import { gridOf, mergePanels, panelRule, singularEnds } from "./quadrature.js";
import type { Grid } from "./quadrature.js";
import { ibeta, lbeta, normalCdf, normalPdf } from "./special.js";
import type { Rng } from "./rng.js";

export type Direction = "max" | "min";
export type Method = "closed-form" | "integration" | "monte-carlo";

export interface Comparison {
  /** Per arm, in input order. */
  readonly pBest: readonly number[];
  readonly expectedLoss: readonly number[];
  readonly method: Method;
}

/** Beyond this many terms Evan Miller's sum is slower than integration. */
const MAX_SUM_TERMS = 20_000;

/**
 * Evan Miller's closed form: P(pB > pA) for pA ~ Beta(aA, bA), pB ~ Beta(aB, bB), aB a positive
 * integer. Σ_{i=0}^{aB−1} B(aA+i, bA+bB) / ((bB+i) B(1+i, bB) B(aA, bA)). Undefined otherwise.
 */
export function betaProbGreater(aA: number, bA: number, aB: number, bB: number): number | undefined {
  if (!Number.isInteger(aB) || aB < 1 || aB > MAX_SUM_TERMS) return undefined;
  const base = lbeta(aA, bA);
  let total = 0;
  for (let i = 0; i < aB; i++) total += Math.exp(lbeta(aA + i, bA + bB) - Math.log(bB + i) - lbeta(1 + i, bB) - base);
  return Math.min(Math.max(total, 0), 1);
}

/**
 * Gamma–Poisson analogue: P(λB > λA) for λA ~ Gamma(sA, rA), λB ~ Gamma(sB, rB) (shape, rate).
 * βA·λA/(βA·λA + βB·λB) ~ Beta(sA, sB), so P = I_{rA/(rA+rB)}(sA, sB), exact for any shapes.
 */
export function gammaProbGreater(sA: number, rA: number, sB: number, rB: number): number {
  return ibeta(rA / (rA + rB), sA, sB);
}

/**
 * Evan Miller's sum for the Gamma–Poisson case (sB a positive integer):
 * Σ_{k=0}^{sB−1} rB^k rA^sA / ((rA+rB)^(k+sA) (k+sA) B(k+1, sA)). Kept as an independent oracle.
 */
export function gammaProbGreaterSum(sA: number, rA: number, sB: number, rB: number): number | undefined {
  if (!Number.isInteger(sB) || sB < 1 || sB > MAX_SUM_TERMS) return undefined;
  let total = 0;
  const lnSum = Math.log(rA + rB);
  for (let k = 0; k < sB; k++) {
    total += Math.exp(k * Math.log(rB) + sA * Math.log(rA) - (k + sA) * lnSum - Math.log(k + sA) - lbeta(k + 1, sA));
  }
  return Math.min(Math.max(total, 0), 1);
}

/** P(B > A) for independent Normal arms: Φ((μB − μA)/√(σA² + σB²)). */
export function normalProbGreater(mA: number, sdA: number, mB: number, sdB: number): number {
  return normalCdf((mB - mA) / Math.hypot(sdA, sdB));
}

/** P(B > A) in closed form when both arms share a family that has one. */
export function probGreaterClosedForm(a: Posterior, b: Posterior): number | undefined {
  if (a.family === "beta" && b.family === "beta") return betaProbGreater(a.alpha, a.beta, b.alpha, b.beta);
  if (a.family === "gamma" && b.family === "gamma") return gammaProbGreater(a.shape, a.rate, b.shape, b.rate);
  if (a.family === "normal" && b.family === "normal") return normalProbGreater(a.mean, a.sd, b.mean, b.sd);
  return undefined;
}

/**
 * E[max(B − A, 0)] in closed form (the loss of choosing A when more is better). Size-biasing:
 * E[B·1(B>A)] = E[B]·P(B' > A) with B' the arm with shape + 1, so Beta and Gamma reduce to P(·>·).
 */
export function expectedShortfallClosedForm(a: Posterior, b: Posterior): number | undefined {
  if (a.family === "beta" && b.family === "beta") {
    const first = betaProbGreater(a.alpha, a.beta, b.alpha + 1, b.beta);
    const second = betaProbGreater(a.alpha + 1, a.beta, b.alpha, b.beta);
    if (first === undefined || second === undefined) return undefined;
    return Math.max(posteriorMean(b) * first - posteriorMean(a) * second, 0);
  }
  if (a.family === "gamma" && b.family === "gamma") {
    const first = gammaProbGreater(a.shape, a.rate, b.shape + 1, b.rate);
    const second = gammaProbGreater(a.shape + 1, a.rate, b.shape, b.rate);
    return Math.max(posteriorMean(b) * first - posteriorMean(a) * second, 0);
  }
  if (a.family === "normal" && b.family === "normal") {
    const delta = b.mean - a.mean;
    const sd = Math.hypot(a.sd, b.sd);
    return delta * normalCdf(delta / sd) + sd * normalPdf(delta / sd);
  }
  return undefined;
}

function twoArmClosedForm(arms: readonly Posterior[], direction: Direction): Comparison | undefined {
  const [a, b] = arms;
  if (a === undefined || b === undefined || arms.length !== 2) return undefined;
  const pBAboveA = probGreaterClosedForm(a, b);
  const bAboveA = expectedShortfallClosedForm(a, b);
  const aAboveB = expectedShortfallClosedForm(b, a);
  if (pBAboveA === undefined || bAboveA === undefined || aAboveB === undefined) return undefined;
  if (direction === "max") return { pBest: [1 - pBAboveA, pBAboveA], expectedLoss: [bAboveA, aAboveB], method: "closed-form" };
  return { pBest: [pBAboveA, 1 - pBAboveA], expectedLoss: [aAboveB, bAboveA], method: "closed-form" };
}

/**
 * P(best) and expected loss of every arm by numerical integration (any families, any number of
 * arms). `arms` must be non-empty.
 */
export function integrateComparison(arms: readonly Posterior[], direction: Direction): Comparison {
  const k = arms.length;
  const grids = arms.map(gridOf);
  const evaluators = arms.map(evaluator);
  const singular = singularEnds(arms);
  const points = mergePanels(grids, 1, [...singular.keys()]);
  const lossDefined = arms.every((p) => Number.isFinite(posteriorMean(p)));
  const pBest = new Array<number>(k).fill(0);
  const loss = new Array<number>(k).fill(0);
  // g[j] = P(X_j is "worse than" x): F_j(x) for max, 1 − F_j(x) for min.
  const g = new Float64Array(k);
  const f = new Float64Array(k);
  const prefix = new Float64Array(k + 1);
  const suffix = new Float64Array(k + 1);
  for (let panel = 0; panel + 1 < points.length; panel++) {
    const a = points[panel] ?? 0;
    const b = points[panel + 1] ?? 0;
    const rule = panelRule(a, b, singular);
    for (let n = 0; n < rule.nodes.length; n++) {
      const x = rule.nodes[n] ?? 0;
      const w = rule.weights[n] ?? 0;
      for (let j = 0; j < k; j++) {
        const arm = evaluators[j] as Evaluator;
        const grid = grids[j] as Grid;
        if (x < grid.low) {
          g[j] = direction === "max" ? 0 : 1;
          f[j] = 0;
        } else if (x > grid.high) {
          g[j] = direction === "max" ? 1 : 0;
          f[j] = 0;
        } else {
          g[j] = direction === "max" ? arm.cdf(x) : arm.sf(x);
          f[j] = arm.pdf(x);
        }
      }
      prefix[0] = 1;
      for (let j = 0; j < k; j++) prefix[j + 1] = (prefix[j] ?? 0) * (g[j] ?? 0);
      suffix[k] = 1;
      for (let j = k - 1; j >= 0; j--) suffix[j] = (suffix[j + 1] ?? 0) * (g[j] ?? 0);
      for (let i = 0; i < k; i++) {
        const others = (prefix[i] ?? 0) * (suffix[i + 1] ?? 0);
        pBest[i] = (pBest[i] ?? 0) + w * (f[i] ?? 0) * others;
        if (lossDefined) loss[i] = (loss[i] ?? 0) + w * (g[i] ?? 0) * (1 - others);
      }
    }
  }
  return {
    pBest: pBest.map((p) => Math.min(Math.max(p, 0), 1)),
    expectedLoss: loss.map((l) => (lossDefined ? Math.max(l, 0) : NaN)),
    method: "integration",
  };
}

/**
 * Seeded Monte Carlo estimate of P(best) and expected loss (`draws` joint draws). A P(best) has a
 * standard error of at most 0.5/√draws (0.0005 at the default 10⁶ draws: within 0.002 at 4 SE).
 */
export function monteCarloComparison(arms: readonly Posterior[], direction: Direction, draws: number, rng: Rng): Comparison {
  const k = arms.length;
  const wins = new Array<number>(k).fill(0);
  const loss = new Array<number>(k).fill(0);
  const x = new Float64Array(k);
  const sign = direction === "max" ? 1 : -1;
  for (let d = 0; d < draws; d++) {
    let best = -Infinity;
    let second = -Infinity;
    let bestIndex = 0;
    for (let j = 0; j < k; j++) {
      const v = sign * sample(arms[j] as Posterior, rng);
      x[j] = v;
      if (v > best) {
        second = best;
        best = v;
        bestIndex = j;
      } else if (v > second) second = v;
    }
    wins[bestIndex] = (wins[bestIndex] ?? 0) + 1;
    for (let j = 0; j < k; j++) {
      const bestOther = j === bestIndex ? second : best;
      const shortfall = bestOther - (x[j] ?? 0);
      if (shortfall > 0 && k > 1) loss[j] = (loss[j] ?? 0) + shortfall;
    }
  }
  const lossDefined = arms.every((p) => Number.isFinite(posteriorMean(p)));
  return { pBest: wins.map((w) => w / draws), expectedLoss: loss.map((l) => (lossDefined ? l / draws : NaN)), method: "monte-carlo" };
}

/** Tolerance on Σ P(best) − 1 before the integration is distrusted and Monte Carlo used. */
const SUM_TOLERANCE = 1e-6;

const finiteOrUndefinedLoss = (c: Comparison, arms: readonly Posterior[]): boolean =>
  c.pBest.every(Number.isFinite) && (arms.every((p) => Number.isFinite(posteriorMean(p))) ? c.expectedLoss.every(Number.isFinite) : true);

/**
 * The comparison by the most exact route available: closed form (two arms, same family), else
 * integration, else (integration did not add up to 1) seeded Monte Carlo with `draws` draws.
 */
export function compareArms(arms: readonly Posterior[], direction: Direction, draws: number, rng: () => Rng): Comparison {
  if (arms.length === 0) return { pBest: [], expectedLoss: [], method: "closed-form" };
  if (arms.length === 1) return { pBest: [1], expectedLoss: [0], method: "closed-form" };
  const closed = twoArmClosedForm(arms, direction);
  if (closed !== undefined && closed.pBest.every(Number.isFinite) && closed.expectedLoss.every(Number.isFinite)) return closed;
  const integrated = integrateComparison(arms, direction);
  const total = integrated.pBest.reduce((s, p) => s + p, 0);
  if (finiteOrUndefinedLoss(integrated, arms) && Math.abs(total - 1) <= SUM_TOLERANCE) return integrated;
  return monteCarloComparison(arms, direction, draws, rng());
}
