/**
 * Exact splits of a load across agents. Integer quantities (requests, connections) are split with
 * the largest-remainder method so the shares sum exactly to the total; rates are split in
 * proportion to capacity.
 */

/**
 * Splits `total` into integers proportional to `weights`, summing exactly to `total`. Ties in the
 * remainders go to the earlier index, so the split is deterministic.
 */
export function splitInteger(total: number, weights: readonly number[]): number[] {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`splitInteger: total must be a non-negative integer, got ${total}`);
  const weightSum = weights.reduce((sum, w) => sum + w, 0);
  if (weights.length === 0 || weightSum <= 0) throw new RangeError("splitInteger: weights must have a positive sum");
  const exact = weights.map((w) => (total * w) / weightSum);
  const shares = exact.map((x) => Math.floor(x));
  let left = total - shares.reduce((sum, s) => sum + s, 0);
  const order = exact
    .map((x, index) => ({ index, remainder: x - Math.floor(x) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) {
    const slot = order[k];
    if (slot) shares[slot.index] = (shares[slot.index] ?? 0) + 1;
  }
  return shares;
}

/** Splits a rate in proportion to `weights`; the last share absorbs floating-point residue. */
export function splitRate(totalQps: number, weights: readonly number[]): number[] {
  const weightSum = weights.reduce((sum, w) => sum + w, 0);
  const shares = weights.map((w) => (totalQps * w) / weightSum);
  const residue = totalQps - shares.reduce((sum, s) => sum + s, 0);
  if (shares.length > 0) shares[shares.length - 1] = (shares[shares.length - 1] ?? 0) + residue;
  return shares;
}

/**
 * How many of the available agents take part in a series: never more than its connections (each
 * participating agent needs at least one), nor more than its request count when that is positive.
 */
export function participants(agentCount: number, connections: number, numRequests: number | undefined): number {
  let count = Math.min(agentCount, connections);
  if (numRequests !== undefined && numRequests > 0) count = Math.min(count, numRequests);
  return Math.max(1, count);
}
