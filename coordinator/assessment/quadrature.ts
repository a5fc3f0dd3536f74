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
}

/** Panel edges per distribution, in standard deviations from the mean (long right tail for skew). */
const BREAKPOINTS_SD = [-12, -8, -5, -3, -1.5, -0.5, 0.5, 1.5, 3, 5, 8, 12, 20, 40] as const;
const RANGE_LOW_SD = -12;
const RANGE_HIGH_SD = 40;
/** Student-t: edges in scales from the location, then doubling out to the 1e-16 quantile. */
const BREAKPOINTS_T = [0.5, 1.5, 3, 5, 8, 12, 20, 40] as const;
const T_TAIL_MASS = 1e-16;

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
  const points: number[] = [];
  for (const k of BREAKPOINTS_SD) {
    const x = mean + k * sd;
    if (x > lo && x < hi) points.push(x);
  }
  if (Number.isFinite(lo) && mean + RANGE_LOW_SD * sd <= lo) points.unshift(lo);
  if (Number.isFinite(hi) && mean + RANGE_HIGH_SD * sd >= hi) points.push(hi);
  return { low: Math.max(lo, mean + RANGE_LOW_SD * sd), high: Math.min(hi, mean + RANGE_HIGH_SD * sd), width: sd, points };
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
    for (const g of grids) if (x >= g.low && last <= g.high) scale = Math.min(scale, g.width);
    const minWidth = Number.isFinite(scale) ? minWidths * scale : 0;
    const room = Math.max(minWidth, 1e-13 * Math.max(Math.abs(x), Math.abs(last), 1e-300));
    if (x - last > room && next - x > room) push(x);
  }
  while (k < fixed.length) push(fixed[k++] ?? 0);
  return out;
}
