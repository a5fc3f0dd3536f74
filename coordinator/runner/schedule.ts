/**
 * Loop plans from what users type: `--loops N`, `--interval D` (between loop starts) and
 * `--schedule CRON` (Iter8's cronjob runner: each loop starts at the next match of a cron
 * expression, in UTC). Cron expressions are read by cron-parser (standard 5 fields, an optional
 * seconds field first, names and steps), not by a parser of our own.
 */
import { CronExpressionParser } from "cron-parser";
import { ErrorCode, ValidationError } from "../../core/index.js";
import { SINGLE_RUN, intervalPlan } from "./loops.js";
import type { LoopPlan } from "./loops.js";

export interface LoopSettings {
  /** Loops to run; undefined = 1 without a schedule, until cancelled with one. */
  readonly loops?: number | undefined;
  /** Between loop starts (ms); not with `schedule`. */
  readonly intervalMs?: number | undefined;
  /** A cron expression, UTC. */
  readonly schedule?: string | undefined;
}

/** The plan for `settings`; throws ValidationError naming the flag when they contradict. */
export function loopPlanOf(settings: LoopSettings): LoopPlan {
  const { loops, intervalMs, schedule } = settings;
  if (loops !== undefined && (!Number.isInteger(loops) || loops < 1)) {
    throw new ValidationError(ErrorCode.BadFlag, `--loops: expected a positive integer, got ${loops}`, { field: "loops" });
  }
  if (schedule !== undefined && schedule.trim() !== "") {
    if (intervalMs !== undefined && intervalMs > 0) {
      throw new ValidationError(ErrorCode.BadFlag, "--interval and --schedule both say when loops start: give one of them", { field: "interval" });
    }
    return cronPlan(schedule.trim(), loops);
  }
  if (loops === undefined || loops === 1) {
    if (intervalMs !== undefined && intervalMs > 0 && loops === undefined) {
      throw new ValidationError(ErrorCode.BadFlag, "--interval is the time between loops: give --loops N (N > 1) too", { field: "interval" });
    }
    return SINGLE_RUN;
  }
  return intervalPlan(loops, intervalMs ?? 0);
}

/** Each loop at the next match of `expression` after the previous loop started (the first at once). */
export function cronPlan(expression: string, loops: number | undefined): LoopPlan {
  try {
    CronExpressionParser.parse(expression, { tz: "UTC", strict: false });
  } catch (cause) {
    throw new ValidationError(ErrorCode.BadFlag, `--schedule: "${expression}" is not a cron expression: ${cause instanceof Error ? cause.message : String(cause)}`, {
      field: "schedule",
      cause,
      suggestion: 'five fields, minute hour day-of-month month day-of-week, e.g. "*/5 * * * *" (a sixth, first, for seconds)',
    });
  }
  return {
    loops,
    nextStartMs: (previousStartMs) => nextCronMs(expression, Math.max(previousStartMs, Date.now())),
    description: `on the schedule "${expression}" (UTC)`,
  };
}

/** The first match of `expression` strictly after `afterMs`. */
export function nextCronMs(expression: string, afterMs: number): number {
  return CronExpressionParser.parse(expression, { tz: "UTC", currentDate: new Date(afterMs) }).next().getTime();
}
