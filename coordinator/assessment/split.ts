/**
 * The recommended traffic split (a multi-armed bandit step): each eligible version gets a floor
 * plus a share of the rest proportional to its Thompson-sampling probability (its P(best) among the
 * eligible versions); increases are capped relative to the current weights; integer weights that
 * sum to exactly 100 by largest-remainder rounding.
 */

export interface SplitOptions {
  /** Weight every version keeps at least (integer, 0–100). Default 5. */
  readonly floor: number;
  /** What versions that are not eligible (failing SLOs, no reward data) get: the floor or 0. */
  readonly failingWeight: "floor" | "zero";
  /** Largest increase of one version's weight in this step; undefined = uncapped. */
  readonly maxIncrease: number | undefined;
  /** The weights now in force (sum 100); needed for `maxIncrease`. */
  readonly currentWeights: Readonly<Record<string, number>> | undefined;
}

export const DEFAULT_SPLIT_OPTIONS: SplitOptions = { floor: 5, failingWeight: "floor", maxIncrease: undefined, currentWeights: undefined };

/**
 * `probabilities`: P(best) of each eligible version (the others are absent). With no eligible
 * version the split is equal across all versions.
 */
export function recommendSplit(
  versions: readonly string[],
  probabilities: Readonly<Record<string, number>>,
  options: SplitOptions,
): Record<string, number> {
  const k = versions.length;
  if (k === 0) return {};
  const eligible = versions.map((v) => probabilities[v] !== undefined);
  const target = new Array<number>(k).fill(0);
  if (!eligible.some(Boolean)) {
    target.fill(100 / k);
  } else {
    const getsFloor = versions.map((_, i) => eligible[i] === true || options.failingWeight === "floor");
    const floorCount = getsFloor.filter(Boolean).length;
    const floor = Math.min(options.floor, 100 / floorCount);
    for (let i = 0; i < k; i++) if (getsFloor[i]) target[i] = floor;
    const rest = 100 - floor * floorCount;
    const total = versions.reduce((s, v) => s + (probabilities[v] ?? 0), 0);
    const eligibleCount = eligible.filter(Boolean).length;
    versions.forEach((v, i) => {
      if (!eligible[i]) return;
      const share = total > 0 ? (probabilities[v] ?? 0) / total : 1 / eligibleCount;
      target[i] = (target[i] ?? 0) + rest * share;
    });
  }
  const capped = options.maxIncrease !== undefined && options.currentWeights !== undefined
    ? applyCap(target, versions.map((v) => (options.currentWeights?.[v] ?? 0) + (options.maxIncrease ?? 0)))
    : target;
  const rounded = largestRemainder(capped);
  const out: Record<string, number> = {};
  versions.forEach((v, i) => {
    out[v] = rounded[i] ?? 0;
  });
  return out;
}

/** Water-filling: clamp versions above their cap and hand the excess to the others. */
function applyCap(target: readonly number[], caps: readonly number[]): number[] {
  const w = [...target];
  const fixed = new Array<boolean>(w.length).fill(false);
  for (let round = 0; round <= w.length; round++) {
    let excess = 0;
    for (let i = 0; i < w.length; i++) {
      const cap = caps[i] ?? 0;
      if ((w[i] ?? 0) > cap) {
        excess += (w[i] ?? 0) - cap;
        w[i] = cap;
        fixed[i] = true;
      }
    }
    if (excess <= 1e-12) break;
    const open = w.map((_, i) => !fixed[i]);
    const byWeight = w.reduce((s, x, i) => (open[i] ? s + x : s), 0);
    const byRoom = w.reduce((s, x, i) => (open[i] ? s + Math.max((caps[i] ?? 0) - x, 0) : s), 0);
    if (byWeight <= 0 && byRoom <= 0) break;
    for (let i = 0; i < w.length; i++) {
      if (!open[i]) continue;
      const share = byWeight > 0 ? (w[i] ?? 0) / byWeight : Math.max((caps[i] ?? 0) - (w[i] ?? 0), 0) / byRoom;
      w[i] = (w[i] ?? 0) + excess * share;
    }
  }
  return w;
}

/**
 * Integers summing to 100: floors, then one more to the largest fractional parts. Versions with
 * equal fractions (identical arms) get the extra unit together or not at all whenever the sum
 * allows it; only when no tie group fits are ties broken by order.
 */
function largestRemainder(weights: readonly number[]): number[] {
  const clean = weights.map((x) => Math.round(x * 1e9) / 1e9);
  const floors = clean.map((x) => Math.floor(x));
  let missing = 100 - floors.reduce((s, x) => s + x, 0);
  const order = clean.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  const groups: number[][] = [];
  for (const { i, frac } of order) {
    const last = groups[groups.length - 1];
    const lastFrac = last === undefined ? undefined : clean[last[0] ?? 0];
    if (last !== undefined && lastFrac !== undefined && Math.abs(lastFrac - Math.floor(lastFrac) - frac) < 1e-9) last.push(i);
    else groups.push([i]);
  }
  const given = new Set<number>();
  for (const group of groups) {
    if (missing <= 0) break;
    const first = clean[group[0] ?? 0] ?? 0;
    if (group.length > missing || first - Math.floor(first) < 1e-9) continue;
    for (const i of group) {
      floors[i] = (floors[i] ?? 0) + 1;
      given.add(i);
    }
    missing -= group.length;
  }
  for (const { i } of order) {
    if (missing <= 0) break;
    if (given.has(i)) continue;
    floors[i] = (floors[i] ?? 0) + 1;
    missing -= 1;
  }
  return floors;
}
