/**
 * Open-model send schedules: the intended send time of request i (0-based), as an offset from the
 * start of the schedule. Times are computed from i, never accumulated, so timer error never drifts.
 *
 * With stages, the rate moves linearly from the previous stage's qps to each stage's qps over its
 * duration; the first stage ramps up from 0 (so `[{10s, 100}]` is a ten-second ramp from 0 to 100
 * qps). Request i is due when the integral of the rate reaches i. After the last stage the rate stays
 * at the last stage's qps (only reached when a duration or request count extends the run).
 */
import type { StagePlan } from "./plan.js";

/** ceil, except that values within float noise of an integer count as that integer. */
function ceilCount(n: number): number {
  const nearest = Math.round(n);
  return Math.abs(n - nearest) < 1e-9 ? nearest : Math.ceil(n);
}

export interface RateSchedule {
  /** Offset in ms from the schedule start at which request `i` is due; Infinity when never. */
  offsetMs(i: number): number;
  /** Requests due in [0, offsetMs) (the integral of the rate), for tests and reports. */
  countBefore(offsetMs: number): number;
}

export class ConstantRate implements RateSchedule {
  private readonly gapMs: number;

  constructor(readonly qps: number) {
    this.gapMs = qps > 0 ? 1000 / qps : Number.POSITIVE_INFINITY;
  }

  offsetMs(i: number): number {
    return i === 0 ? 0 : i * this.gapMs;
  }

  countBefore(offsetMs: number): number {
    return offsetMs <= 0 ? 0 : ceilCount(offsetMs / this.gapMs);
  }
}

interface StageSegment {
  startMs: number;
  durationMs: number;
  /** Cumulative requests at the start of the segment. */
  startCount: number;
  fromQps: number;
  toQps: number;
}

export class StagedRate implements RateSchedule {
  private readonly segments: StageSegment[] = [];
  private readonly endMs: number;
  private readonly endCount: number;
  private readonly finalQps: number;
  private cursor = 0;

  constructor(stages: readonly StagePlan[]) {
    let startMs = 0;
    let startCount = 0;
    let fromQps = 0;
    for (const stage of stages) {
      this.segments.push({ startMs, durationMs: stage.durationMs, startCount, fromQps, toQps: stage.qps });
      startCount += ((fromQps + stage.qps) / 2) * (stage.durationMs / 1000);
      startMs += stage.durationMs;
      fromQps = stage.qps;
    }
    this.endMs = startMs;
    this.endCount = startCount;
    this.finalQps = fromQps;
  }

  /** Total length of the stages in ms. */
  get durationMs(): number {
    return this.endMs;
  }

  offsetMs(i: number): number {
    if (i >= this.endCount) {
      return this.finalQps > 0 ? this.endMs + ((i - this.endCount) * 1000) / this.finalQps : Number.POSITIVE_INFINITY;
    }
    if (this.cursor >= this.segments.length || (this.segments[this.cursor]?.startCount ?? 0) > i) this.cursor = 0;
    for (;;) {
      const next = this.segments[this.cursor + 1];
      if (next === undefined || next.startCount > i) break;
      this.cursor += 1;
    }
    const seg = this.segments[this.cursor];
    if (seg === undefined) return Number.POSITIVE_INFINITY;
    // Solve fromQps*t + (toQps-fromQps)*t^2/(2D) = x for t (seconds), in the form stable for a ramp from 0.
    const x = i - seg.startCount;
    const d = seg.durationMs / 1000;
    const a = (seg.toQps - seg.fromQps) / (2 * d);
    const b = seg.fromQps;
    const disc = b * b + 4 * a * x;
    const denominator = b + Math.sqrt(disc > 0 ? disc : 0);
    const t = denominator > 0 ? (2 * x) / denominator : 0;
    return seg.startMs + Math.min(t * 1000, seg.durationMs);
  }

  countBefore(offsetMs: number): number {
    if (offsetMs <= 0) return 0;
    if (offsetMs >= this.endMs) {
      return ceilCount(this.endCount + ((offsetMs - this.endMs) / 1000) * this.finalQps);
    }
    for (const seg of this.segments) {
      if (offsetMs < seg.startMs + seg.durationMs) {
        const t = (offsetMs - seg.startMs) / 1000;
        const d = seg.durationMs / 1000;
        return ceilCount(seg.startCount + seg.fromQps * t + ((seg.toQps - seg.fromQps) * t * t) / (2 * d));
      }
    }
    return ceilCount(this.endCount);
  }
}
