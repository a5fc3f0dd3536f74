/**
 * The loop flags of `assay run` and `assay submit`: `--loops N` and `--interval D` (between loop
 * starts); `submit` adds `--schedule CRON`. Parsed once here; the plan itself is the coordinator's.
 */
import { parseDurationMs } from "../core/index.js";
import type { LoopSettings } from "../coordinator/index.js";
import { positiveInteger } from "./args.js";

export const LOOP_FLAGS = {
  loops: { type: "string", value: "N", group: "loops", description: "run the task list N times (default 1); with --schedule, stop after N loops" },
  interval: { type: "string", value: "D", group: "loops", description: "time between the starts of consecutive loops, e.g. 30s (default: back to back)" },
} as const;

export const SCHEDULE_FLAG = {
  schedule: {
    type: "string",
    value: "CRON",
    group: "loops",
    description: 'start a loop at each match of a cron expression (UTC), e.g. "*/5 * * * *", until cancelled or --loops N',
  },
} as const;

/** The loop settings the flags give (the coordinator's loopPlanOf checks how they combine). */
export function loopSettingsOf(flags: { readonly loops?: string | undefined; readonly interval?: string | undefined; readonly schedule?: string | undefined }): LoopSettings {
  const loops = positiveInteger(flags.loops, "--loops");
  const intervalMs = flags.interval === undefined ? undefined : parseDurationMs(flags.interval, "--interval");
  return { loops, intervalMs, schedule: flags.schedule };
}
