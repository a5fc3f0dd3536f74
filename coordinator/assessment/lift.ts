/**
 * The credible interval of a version's lift over the baseline, L = (X − B)/|B| with X and B the two
 * independent posteriors, computed exactly rather than from Monte Carlo draws:
 *
 * - two Gamma posteriors: X·rX/(X·rX + B·rB) ~ Beta(sX, sB), so X/B = (rB/rX)·β/(1 − β) and the
 *   bounds are Beta quantiles (closed form up to the quantile's 1e-14 solve);
 * - otherwise: the cdf P(L ≤ l) = ∫ f_B(b) F_X(b + l·|b|) db is a one-dimensional integral
 *   (16-point Gauss–Legendre on panels placed on both distributions' scales, quadrature.ts), and the
 *   bounds are found by safeguarded Newton steps on it.
 */
import { evaluator, posteriorMean, posteriorWidth, support, tailQuantile } from "./posterior.js";
import type { Evaluator, Posterior } from "./posterior.js";
import { gridOf, mergePanels, panelRule, singularEnds } from "./quadrature.js";
import type { Grid } from "./quadrature.js";
import { normalQuantile, solveIncreasing } from "./special.js";

/** Relative precision the bounds are solved to: far below the 0.5 %-of-width promise. */
const LIFT_TOL = 1e-8;
/** Tail mass of the baseline left out of the integral, per side. */
const BULK_TAIL = 1e-14;
/** Beyond this tail mass the version's cdf is taken as exactly 0 or 1. */
const SATURATED_TAIL = 1e-15;
/** Panels at least this many bulk widths of the narrowest distribution alive there. */
const PANEL_WIDTHS = 4;

function gammaLift(x: Extract<Posterior, { family: "gamma" }>, base: Extract<Posterior, { family: "gamma" }>, tail: number): [number, number] {
  const share: Posterior = { family: "beta", alpha: x.shape, beta: base.shape };
  const rest: Posterior = { family: "beta", alpha: base.shape, beta: x.shape };
  const factor = base.rate / x.rate;
  const lower = (factor * tailQuantile(share, tail, false)) / tailQuantile(rest, tail, true) - 1;
  const upper = (factor * tailQuantile(share, tail, true)) / tailQuantile(rest, tail, false) - 1;
  return [lower, upper];
}

/**
 * X's panel edges seen on the b axis for a given lift: on the side `side` of 0, b + l·|b| = x
 * means b = x/factor with factor = 1 + l (b > 0) or 1 − l (b < 0), of either sign.
 */
function mappedGrid(g: Grid, factor: number, side: 1 | -1): Grid | undefined {
  if (factor === 0 || !Number.isFinite(factor)) return undefined;
  const keep = (b: number): boolean => (side > 0 ? b > 0 : b < 0);
  const points = g.points.map((p) => p / factor).filter(keep).sort((a, b) => a - b);
  if (points.length === 0) return undefined;
  const ends = [g.low / factor, g.high / factor];
  const singular = [g.singularLow, g.singularHigh].filter((b): b is number => b !== undefined).map((b) => b / factor);
  const near = singular.length === 0 ? {} : factor > 0 ? { singularLow: Math.min(...singular) } : { singularHigh: Math.max(...singular) };
  return { low: Math.min(...ends), high: Math.max(...ends), width: g.width / Math.abs(factor), points, ...near };
}

class LiftDistribution {
  private readonly fx: Evaluator;
  private readonly fb: Evaluator;
  private readonly gx: Grid;
  private readonly gb: Grid;
  private readonly zeroInside: boolean;
  /** B's range for this integral: where its tail mass is below 1e-14 on each side. */
  private readonly low: number;
  private readonly high: number;
  /** Outside these, F_X is 0 or 1 to 1e-15. */
  private readonly xLow: number;
  private readonly xHigh: number;
  /** Bounds where B's density is infinite or rough (a non-integer shape below 3): panels there are mapped. */
  private readonly singular: Map<number, number>;

  constructor(x: Posterior, base: Posterior) {
    this.fx = evaluator(x);
    this.fb = evaluator(base);
    this.gx = gridOf(x);
    this.gb = gridOf(base);
    const [lo, hi] = support(base);
    this.zeroInside = lo < 0 && hi > 0;
    this.singular = singularEnds([base]);
    this.low = this.singular.has(lo) ? lo : Math.max(this.gb.low, tailQuantile(base, BULK_TAIL, false));
    this.high = this.singular.has(hi) ? hi : Math.min(this.gb.high, tailQuantile(base, BULK_TAIL, true));
    this.xLow = tailQuantile(x, SATURATED_TAIL, false);
    this.xHigh = tailQuantile(x, SATURATED_TAIL, true);
  }

  /** P(L ≤ l) (`upper` false) or P(L > l) (`upper` true), and d/dl P(L ≤ l). */
  evaluate(l: number, upper: boolean): { value: number; slope: number } {
    const grids: Grid[] = [this.gb];
    const positive = mappedGrid(this.gx, 1 + l, 1);
    const negative = mappedGrid(this.gx, 1 - l, -1);
    if (positive !== undefined) grids.push(positive);
    if (negative !== undefined) grids.push(negative);
    const edges = mergePanels(grids, PANEL_WIDTHS, this.zeroInside ? [0] : []).filter((b) => b > this.low && b < this.high);
    edges.unshift(this.low);
    edges.push(this.high);
    let value = 0;
    let slope = 0;
    for (let panel = 0; panel + 1 < edges.length; panel++) {
      const a = edges[panel] ?? 0;
      const b = edges[panel + 1] ?? 0;
      const rule = panelRule(a, b, this.singular);
      for (let n = 0; n < rule.nodes.length; n++) {
        const node = rule.nodes[n] ?? 0;
        const weight = (rule.weights[n] ?? 0) * this.fb.pdf(node);
        if (weight === 0) continue;
        const t = node + l * Math.abs(node);
        if (t < this.xLow) {
          if (upper) value += weight;
        } else if (t > this.xHigh) {
          if (!upper) value += weight;
        } else {
          value += weight * (upper ? this.fx.sf(t) : this.fx.cdf(t));
          slope += weight * Math.abs(node) * this.fx.pdf(t);
        }
      }
    }
    return { value, slope };
  }
}

/**
 * Equal-tailed interval of the lift at `level`; null when it cannot be computed (the baseline's
 * posterior puts no mass away from 0, or a bound is not finite).
 */
export function liftInterval(x: Posterior, base: Posterior, level: number): [number, number] | null {
  const tail = (1 - level) / 2;
  if (x.family === "gamma" && base.family === "gamma") {
    const bounds = gammaLift(x, base, tail);
    return bounds.every(Number.isFinite) ? bounds : null;
  }
  const dist = new LiftDistribution(x, base);
  const [lo] = support(base);
  const [xLo] = support(x);
  const positive = lo >= 0 && xLo >= 0;
  const mx = posteriorMean(x);
  const mb = posteriorMean(base);
  const cx = Number.isFinite(mx) ? mx : tailQuantile(x, 0.5, false);
  const cb = Number.isFinite(mb) ? mb : tailQuantile(base, 0.5, false);
  const relX = posteriorWidth(x) / Math.abs(cx);
  const relB = posteriorWidth(base) / Math.abs(cb);
  const bound = (upper: boolean): number => {
    const z = (upper ? -normalQuantile(tail) : normalQuantile(tail));
    // One integral gives both the value and the slope: remember the last point.
    let lastAt = NaN;
    let last = { value: 0, slope: 0 };
    const at = (l: number): { value: number; slope: number } => {
      if (l !== lastAt) {
        last = dist.evaluate(l, upper);
        lastAt = l;
      }
      return last;
    };
    const target = (value: number): number => (upper ? tail - value : value - tail);
    if (positive) {
      // On the axis u = ln(1 + l): ln X − ln B is close to Normal for any sample size worth assessing.
      const guess = Math.log(cx / cb) + z * Math.hypot(relX, relB);
      const u = solveIncreasing(
        (v) => target(at(Math.expm1(v)).value),
        (v) => at(Math.expm1(v)).slope * Math.exp(v),
        Number.isFinite(guess) ? guess : 0,
        0.5,
        LIFT_TOL,
      );
      return Math.expm1(u);
    }
    const spread = Math.hypot(relX, relB) * Math.abs(cx / cb);
    const guess = (cx - cb) / Math.abs(cb) + z * spread;
    const step = Number.isFinite(spread) && spread > 0 ? spread : 1;
    return solveIncreasing((l) => target(at(l).value), (l) => at(l).slope, Number.isFinite(guess) ? guess : 0, step, LIFT_TOL);
  };
  const bounds: [number, number] = [bound(false), bound(true)];
  return bounds.every(Number.isFinite) ? bounds : null;
}
