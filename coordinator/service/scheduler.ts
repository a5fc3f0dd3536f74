/**
 * Looped and scheduled experiments in the coordinator service (`assay submit --loops N
 * --interval D` or `--schedule CRON`): the loop plan stored with the experiment, and the run slots
 * it gives up between loops. An experiment waiting for its next loop holds no slot (with the
 * default concurrency of 1, a schedule that ran every hour would otherwise block the queue for
 * good); when its loop is due it takes the next free slot before queued experiments do.
 */
import { parseDurationMs } from "../../core/index.js";
import type { api } from "../../core/index.js";
import { waitUntil } from "../runner/loops.js";
import type { LoopPlan } from "../runner/loops.js";
import { loopPlanOf } from "../runner/schedule.js";
import type { LoopSettings } from "../runner/schedule.js";

/** The loop settings of a Submit request (zero values = not given), checked: throws ValidationError. */
export function loopSettingsOfRequest(request: Pick<api.SubmitRequest__Output, "loops" | "interval" | "schedule">): LoopSettings | undefined {
  const settings: LoopSettings = {
    ...(request.loops > 0 ? { loops: request.loops } : {}),
    ...(request.interval !== "" ? { intervalMs: parseDurationMs(request.interval, "interval") } : {}),
    ...(request.schedule.trim() !== "" ? { schedule: request.schedule.trim() } : {}),
  };
  loopPlanOf(settings);
  return Object.keys(settings).length === 0 ? undefined : settings;
}

/** Counts the run slots: running experiments minus those idle between loops. */
export class LoopSlots {
  private readonly idle = new Set<object>();
  private readonly due: { readonly key: object; readonly resume: () => void }[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly runningCount: () => number,
    private readonly pump: () => void,
  ) {}

  /** A slot is free for a queued experiment (or a due loop). */
  free(): boolean {
    return this.runningCount() - this.idle.size < this.concurrency;
  }

  /** Gives a free slot to the longest-waiting due loop; true when one took it. */
  resumeDue(): boolean {
    if (!this.free()) return false;
    const next = this.due.shift();
    if (!next) return false;
    this.idle.delete(next.key);
    next.resume();
    return true;
  }

  /** `settings`' plan; between loops the experiment `key` gives up its slot until its next loop is due. */
  planFor(key: object, settings: LoopSettings | undefined): LoopPlan {
    const plan = loopPlanOf(settings ?? {});
    if (plan.loops === 1) return plan;
    return { ...plan, wait: (startMs, signal) => this.waitForLoop(key, startMs, signal) };
  }

  private async waitForLoop(key: object, startMs: number, signal: AbortSignal): Promise<boolean> {
    this.idle.add(key);
    this.pump();
    if (!(await waitUntil(startMs, signal))) {
      this.idle.delete(key);
      return false;
    }
    if (this.due.length === 0 && this.free()) {
      this.idle.delete(key);
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => {
        const index = this.due.indexOf(waiter);
        if (index >= 0) this.due.splice(index, 1);
        this.idle.delete(key);
        resolve(false);
      };
      const waiter = {
        key,
        resume: (): void => {
          signal.removeEventListener("abort", onAbort);
          resolve(true);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.due.push(waiter);
      this.pump();
    });
  }
}
