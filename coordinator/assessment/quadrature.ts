/**
 * The quadrature shared by P(best), expected loss and the lift distribution: 16-point
 * Gauss–Legendre on panels whose edges are placed on every distribution's own scale (mean + k·sd,
 * or location + k·scale reaching geometrically into a Student-t's heavy tails), so that each panel
 * holds a smooth, well-resolved piece of every integrand.
 */
import { posteriorMean, posteriorWidth, support, tailQuantile } from "./posterior.js";
import type { Posterior } from "./posterior.js";

export const GL_NODES = [
  -0.9894009349916499, -0.9445750230732326, -0.8656312023878318, -0.755404408355003, -0.6178762444026438,
  -0.4580167776572274, -0.2816035507792589, -0.0950125098376374, 0.0950125098376374, 0.2816035507792589,
  0.4580167776572274, 0.6178762444026438, 0.755404408355003, 0.8656312023878318, 0.9445750230732326,
  0.9894009349916499,
] as const;
export const GL_WEIGHTS = [
  0.0271524594117541, 0.0622535239386479, 0.0951585116824928, 0.1246289712555339, 0.1495959888165767,
  0.1691565193950025, 0.1826034150449236, 0.1894506104550685, 0.1894506104550685, 0.1826034150449236,
  0.1691565193950025, 0.1495959888165767, 0.1246289712555339, 0.0951585116824928, 0.0622535239386479,
  0.0271524594117541,
] as const;

/** Where one distribution lives: outside [low, high] its density is negligible (tail mass ≲ 1e-16). */
export interface Grid {
  readonly low: number;
  readonly high: number;
  /** Width of its bulk (sd, or the t's scale when heavy-tailed): the finest panel it needs. */
  readonly width: number;
  /** Panel edges it asks for. */
  readonly points: readonly number[];
  /** A bound where its density is infinite: panels near it may be as fine as their distance to it. */
  readonly singularLow?: number;
  readonly singularHigh?: number;
}

/** Panel edges per distribution, in standard deviations from the mean (long right tail for skew). */
const BREAKPOINTS_SD = [-12, -8, -5, -3, -1.5, -0.5, 0.5, 1.5, 3, 5, 8, 12, 20, 40] as const;
const RANGE_LOW_SD = -12;
const RANGE_HIGH_SD = 40;
/** Student-t: edges in scales from the location, then doubling out to the 1e-16 quantile. */
const BREAKPOINTS_T = [0.5, 1.5, 3, 5, 8, 12, 20, 40] as const;
const T_TAIL_MASS = 1e-16;
/** Tail mass left beyond the range of a small-shape Beta or Gamma. */
const FAR_TAIL = 1e-17;
/** Decades of edges laid towards a bound where a density is infinite. */
const SINGULAR_DECADES = 30;

const grids = new WeakMap<Posterior, Grid>();

/** The grid of one posterior (cached per posterior object: a Student-t's reach costs a quantile solve). */
export function gridOf(p: Posterior): Grid {
  let g = grids.get(p);
  if (g === undefined) {
    g = computeGrid(p);
    grids.set(p, g);
  }
  return g;
}

function computeGrid(p: Posterior): Grid {
  if (p.family === "student") {
    const reach = (tailQuantile(p, T_TAIL_MASS, true) - p.location) / p.scale;
    const ks: number[] = [];
    for (const k of BREAKPOINTS_T) if (k < reach) ks.push(k);
    for (let k = 80; k < reach; k *= 2) ks.push(k);
    ks.push(reach);
    const points = [...ks.map((k) => p.location - k * p.scale).reverse(), ...ks.map((k) => p.location + k * p.scale)];
    return { low: p.location - reach * p.scale, high: p.location + reach * p.scale, width: posteriorWidth(p), points };
  }
  const [lo, hi] = support(p);
  const mean = posteriorMean(p);
  const sd = posteriorWidth(p);
  // The long tail is on the right, except for a Beta with β < α (1 − X is then the Gamma-like side).
  const mirror = p.family === "beta" && p.beta < p.alpha ? -1 : 1;
  const [lowSd, highSd] = mirror > 0 ? [RANGE_LOW_SD, RANGE_HIGH_SD] : [-RANGE_HIGH_SD, -RANGE_LOW_SD];
  const points: number[] = [];
  for (const k of BREAKPOINTS_SD) {
    const x = mean + mirror * k * sd;
    if (x > lo && x < hi) points.push(x);
  }
  if (Number.isFinite(lo) && mean + lowSd * sd <= lo) points.push(lo);
  if (Number.isFinite(hi) && mean + highSd * sd >= hi) points.push(hi);
  // A density infinite at a bound spreads its mass over many decades there: decade edges keep every
  // panel's share of that singularity smooth, whatever other distributions cut the axis near it.
  const [atLow, atHigh] = p.family === "beta" ? [p.alpha, p.beta] : p.family === "gamma" ? [p.shape, Infinity] : [Infinity, Infinity];
  for (let j = 1; atLow < 1 && j <= SINGULAR_DECADES; j++) points.push(lo + (mean - lo) * 10 ** -j);
  for (let j = 1; atHigh < 1 && j <= SINGULAR_DECADES; j++) points.push(hi - (hi - mean) * 10 ** -j);
  // A shape below 1 has a tail far beyond 12 or 40 sd (Gamma(0.01): 1e-4 of its mass): reach its
  // 1e-17 point on the side away from the singular bound.
  let high = Math.min(hi, mean + highSd * sd);
  if (atLow < 1 && high < hi) {
    high = Math.max(high, Math.min(hi, tailQuantile(p, FAR_TAIL, true)));
    points.push(high);
  }
  let low = Math.max(lo, mean + lowSd * sd);
  if (atHigh < 1 && low > lo) {
    low = Math.min(low, Math.max(lo, tailQuantile(p, FAR_TAIL, false)));
    points.push(low);
  }
  return {
    low,
    high,
    width: sd,
    points,
    ...(atLow < 1 ? { singularLow: lo } : {}),
    ...(atHigh < 1 ? { singularHigh: hi } : {}),
  };
}

/** The bulk width, or less near a singular bound (panels there may be as fine as their distance to it). */
function localWidth(g: Grid, from: number, to: number): number {
  let width = g.width;
  if (g.singularLow !== undefined) width = Math.min(width, 0.9 * (from - g.singularLow));
  if (g.singularHigh !== undefined) width = Math.min(width, 0.9 * (g.singularHigh - to));
  return width;
}

/**
 * Panel edges for integrands built from several distributions: the union of their edges, thinned
 * so that no panel is narrower than `minWidths` bulk widths of the narrowest distribution alive
 * there (16-point Gauss–Legendre is exact to ~1e-12 on such panels; finer ones only cost time).
 * `kinks` (where an integrand is not smooth) are always kept.
 */
export function mergePanels(grids: readonly Grid[], minWidths = 1, kinks: readonly number[] = []): number[] {
  const points: number[] = [];
  for (const g of grids) points.push(...g.points);
  points.sort((x, y) => x - y);
  const fixed = [...kinks].sort((x, y) => x - y);
  const out: number[] = [];
  let k = 0;
  const push = (x: number): void => {
    const last = out[out.length - 1];
    if (last === undefined || x > last) out.push(x);
  };
  for (let i = 0; i < points.length; i++) {
    const x = points[i] ?? 0;
    while (k < fixed.length && (fixed[k] ?? 0) <= x) push(fixed[k++] ?? 0);
    const last = out[out.length - 1];
    const next = k < fixed.length ? (fixed[k] ?? Infinity) : Infinity;
    if (last === undefined || i === points.length - 1) {
      push(x);
      continue;
    }
    let scale = Infinity;
    for (const g of grids) if (x >= g.low && last <= g.high) scale = Math.min(scale, localWidth(g, last, x));
    const minWidth = Number.isFinite(scale) ? minWidths * scale : 0;
    const room = Math.max(minWidth, 1e-13 * Math.max(Math.abs(x), Math.abs(last), 1e-300));
    if (x - last > room && next - x > room) push(x);
  }
  while (k < fixed.length) push(fixed[k++] ?? 0);
  return out;
}

/** Below this, a non-integer shape makes a density too rough at its bound for plain Gauss–Legendre. */
const ROUGH_SHAPE = 3;

/**
 * Support bounds where a density is infinite or not smooth: Beta with a non-integer α < 3 at 0 or
 * β < 3 at 1, Gamma with a non-integer shape < 3 at 0 (a Jeffreys prior and no events, say). Maps
 * each such bound to the smallest such shape s: the densities behave like |x − bound|^(s − 1).
 */
export function singularEnds(arms: readonly Posterior[]): Map<number, number> {
  const ends = new Map<number, number>();
  const note = (at: number, shape: number): void => {
    if (shape < ROUGH_SHAPE && !Number.isInteger(shape)) ends.set(at, Math.min(shape, ends.get(at) ?? ROUGH_SHAPE));
  };
  for (const p of arms) {
    if (p.family === "beta") {
      note(0, p.alpha);
      note(1, p.beta);
    } else if (p.family === "gamma") note(0, p.shape);
  }
  return ends;
}

/** Nodes and weights of one panel. */
export interface PanelRule {
  readonly nodes: number[];
  readonly weights: number[];
}

function mappedHalf(rule: PanelRule, from: number, to: number, shape: number): void {
  // x = from + (to − from)·u^(1/s): |x − from|^(s−1) dx becomes a constant times du.
  const power = 1 / shape;
  const length = to - from;
  for (let n = 0; n < GL_NODES.length; n++) {
    const u = (1 + (GL_NODES[n] ?? 0)) / 2;
    const w = (GL_WEIGHTS[n] ?? 0) / 2;
    const x = from + length * u ** power;
    if (x === from) continue; // u^(1/s) underflowed: the node sits on the bound, where its weight is 0
    rule.nodes.push(x);
    rule.weights.push(Math.abs(length) * w * power * u ** (power - 1));
  }
}

/**
 * 16-point Gauss–Legendre on [a, b]; when an end is a singular bound (`singular`), the panel is
 * mapped so that the density there becomes bounded (both ends: the panel is split in two).
 */
export function panelRule(a: number, b: number, singular: ReadonlyMap<number, number>): PanelRule {
  const left = singular.get(a);
  const right = singular.get(b);
  const rule: PanelRule = { nodes: [], weights: [] };
  if (left === undefined && right === undefined) {
    const half = (b - a) / 2;
    const mid = (a + b) / 2;
    for (let n = 0; n < GL_NODES.length; n++) {
      rule.nodes.push(mid + half * (GL_NODES[n] ?? 0));
      rule.weights.push(half * (GL_WEIGHTS[n] ?? 0));
    }
    return rule;
  }
  if (left !== undefined && right !== undefined) {
    const mid = (a + b) / 2;
    mappedHalf(rule, a, mid, left);
    mappedHalf(rule, b, mid, right);
    return rule;
  }
  if (left !== undefined) mappedHalf(rule, a, b, left);
  else mappedHalf(rule, b, a, right ?? 1);
  return rule;
}
