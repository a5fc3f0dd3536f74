/**
 * What the `traffic` task decides, without any I/O: the next weights from the current ones, the
 * loop's assessment and the pattern (docs/progressive.md). Weights are integer percentages that
 * sum to 100; the baseline takes what the candidates do not.
 */
import type { TrafficPattern, TrafficTaskSpec } from "../../core/index.js";

export interface TrafficInput {
  readonly spec: Pick<TrafficTaskSpec, "pattern" | "maxIncrement" | "onFinish" | "baseline">;
  /** The versions in order (the baseline among them). */
  readonly versions: readonly string[];
  /** Read from the cluster (a missing field is 0). */
  readonly current: Readonly<Record<string, number>>;
  /** The assessment's recommended split, when it made one. */
  readonly recommended: Readonly<Record<string, number>> | undefined;
  /** Versions failing at least one SLO in this loop's (or the cumulative) assessment. */
  readonly failing: ReadonlySet<string>;
  /** The assessment's winner, or null. */
  readonly winner: string | null;
  /** The last planned loop: `onFinish` applies. */
  readonly last: boolean;
}

export interface TrafficDecision {
  readonly weights: Record<string, number>;
  readonly action: "step" | "promote" | "rollback" | "keep";
  readonly reasons: string[];
}

function allTo(versions: readonly string[], version: string): Record<string, number> {
  return Object.fromEntries(versions.map((v) => [v, v === version ? 100 : 0]));
}

/** The next weights. */
export function decideTraffic(input: TrafficInput): TrafficDecision {
  const { spec, versions, failing } = input;
  const candidates = versions.filter((v) => v !== spec.baseline);
  const winner = input.winner !== null && versions.includes(input.winner) && !failing.has(input.winner) ? input.winner : null;
  if (input.last && spec.onFinish === "promote") {
    const to = winner ?? spec.baseline;
    return { weights: allTo(versions, to), action: "promote", reasons: [winner ? `promote: ${winner} won, it takes all traffic` : `promote: no winner, back to the baseline ${spec.baseline}`] };
  }
  if (input.last && spec.onFinish === "rollback") {
    return { weights: allTo(versions, spec.baseline), action: "rollback", reasons: [`rollback: the baseline ${spec.baseline} takes all traffic`] };
  }
  const step = stepWeights(spec.pattern, input, candidates, winner);
  return { weights: step.weights, action: input.last ? "keep" : "step", reasons: step.reasons };
}

function stepWeights(pattern: TrafficPattern, input: TrafficInput, candidates: readonly string[], winner: string | null): { weights: Record<string, number>; reasons: string[] } {
  const { spec, versions, failing, current } = input;
  const reasons: string[] = [];
  switch (pattern) {
    case "fixed-split":
      reasons.push("fixed-split: the weights stay as they are");
      return { weights: normalised(versions, spec.baseline, current), reasons };
    case "dark-launch":
      reasons.push(`dark-launch: candidates get no live traffic (mirroring only); ${spec.baseline} takes all`);
      return { weights: allTo(versions, spec.baseline), reasons };
    case "blue-green": {
      const passing = candidates.filter((c) => !failing.has(c));
      const chosen = winner !== null && winner !== spec.baseline ? winner : passing.length === 1 ? passing[0] : undefined;
      if (chosen === undefined) {
        reasons.push(passing.length === 0 ? `blue-green: no candidate passes its SLOs; ${spec.baseline} keeps all traffic` : `blue-green: ${passing.length} candidates pass and none won; ${spec.baseline} keeps all traffic`);
        return { weights: allTo(versions, spec.baseline), reasons };
      }
      reasons.push(`blue-green: ${chosen} passes; it takes all traffic`);
      return { weights: allTo(versions, chosen), reasons };
    }
    case "progressive":
      return progressiveStep(input, candidates, reasons);
  }
}

function progressiveStep(input: TrafficInput, candidates: readonly string[], reasons: string[]): { weights: Record<string, number>; reasons: string[] } {
  const { spec, versions, failing, current } = input;
  const passingCount = candidates.filter((c) => !failing.has(c)).length;
  const weights: Record<string, number> = {};
  let candidatesTotal = 0;
  for (const candidate of candidates) {
    const now = clampWeight(current[candidate] ?? 0);
    let next: number;
    if (failing.has(candidate)) {
      next = 0;
      reasons.push(`${candidate} fails an SLO: 0 at once (was ${now})`);
    } else {
      // Without a recommended split, every passing version (the baseline too) gets an equal share.
      const target = clampWeight(input.recommended?.[candidate] ?? Math.floor(100 / (passingCount + 1)));
      next = target >= now ? Math.min(target, now + spec.maxIncrement) : Math.max(target, now - spec.maxIncrement);
      reasons.push(`${candidate}: ${now} -> ${next} (target ${target}, at most ${spec.maxIncrement} points a loop)`);
    }
    weights[candidate] = next;
    candidatesTotal += next;
  }
  if (candidatesTotal > 100) scaleDown(weights, candidates, candidatesTotal);
  weights[spec.baseline] = 100 - candidates.reduce((sum, c) => sum + (weights[c] ?? 0), 0);
  return { weights: Object.fromEntries(versions.map((v) => [v, weights[v] ?? 0])), reasons };
}

/** Candidates that together ask for more than 100 share 100 in proportion (largest remainder). */
function scaleDown(weights: Record<string, number>, candidates: readonly string[], total: number): void {
  const exact = candidates.map((c) => ((weights[c] ?? 0) * 100) / total);
  const floors = exact.map(Math.floor);
  let left = 100 - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left <= 0) break;
    floors[i] = (floors[i] ?? 0) + 1;
    left--;
  }
  candidates.forEach((c, i) => (weights[c] = floors[i] ?? 0));
}

function clampWeight(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value)));
}

/** The current weights made whole: integers, candidates capped at 100 together, the baseline the rest. */
function normalised(versions: readonly string[], baseline: string, current: Readonly<Record<string, number>>): Record<string, number> {
  const weights: Record<string, number> = {};
  const candidates = versions.filter((v) => v !== baseline);
  let total = 0;
  for (const c of candidates) {
    weights[c] = clampWeight(current[c] ?? 0);
    total += weights[c] ?? 0;
  }
  if (total > 100) scaleDown(weights, candidates, total);
  weights[baseline] = 100 - candidates.reduce((sum, c) => sum + (weights[c] ?? 0), 0);
  return Object.fromEntries(versions.map((v) => [v, weights[v] ?? 0]));
}
