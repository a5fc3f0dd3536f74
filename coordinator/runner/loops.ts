/**
 * Looped experiments (Iter8's loops; Flagger's and Argo Rollouts' analysis intervals): the task list
 * runs again and again on one result document. Each loop starts with fresh measurements (its load
 * measured on its own), records its metrics, SLOs, assessment and the weights the `traffic` task
 * applied in `result.loops`, and adds its samples to the sum that `assess` with
 * `scope: cumulative` reads. A cancel between loops or inside one stops the experiment; what the
 * loops measured is kept.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { MAX_LOOP_RECORDS } from "../../core/index.js";
import type { Experiment, LoopRecord, ResultDocument, TaskResult } from "../../core/index.js";
import { addSampleMaps } from "../tasks/cumulative.js";
import type { SampleMap } from "../tasks/cumulative.js";
import type { LoopInfo } from "../tasks/types.js";

/** When the loops run. */
export interface LoopPlan {
  /** Loops to run (≥ 1); undefined = until cancelled. */
  readonly loops: number | undefined;
  /** When the loop after the one that started at `previousStartMs` starts (epoch ms). */
  nextStartMs(previousStartMs: number): number;
  /** For people: "every 30s", "on the schedule '*\/5 * * * *'". */
  readonly description: string;
  /**
   * Waits until `startMs`; resolves false when `signal` aborted first. Default: a timer. The
   * coordinator service gives up the experiment's run slot while it waits (coordinator/service/scheduler.ts).
   */
  readonly wait?: (startMs: number, signal: AbortSignal) => Promise<boolean>;
}

/** One plain run: loop 1 of 1 (no loop events, no `loops` history in the result). */
export const SINGLE_RUN: LoopPlan = { loops: 1, nextStartMs: (previousStartMs) => previousStartMs, description: "once" };

/** `--loops N --interval D`: loop starts `intervalMs` apart (the next starts at once when a loop ran longer). */
export function intervalPlan(loops: number | undefined, intervalMs: number): LoopPlan {
  return {
    loops,
    nextStartMs: (previousStartMs) => previousStartMs + intervalMs,
    description: intervalMs > 0 ? `every ${intervalMs} ms` : "back to back",
  };
}

/** Loop boundaries, as the runner reports them to watchers (looped experiments only). */
export type LoopEvent =
  | { readonly type: "loop-started"; readonly loop: number; readonly loops: number | undefined; readonly startMs: number }
  | { readonly type: "loop-finished"; readonly loop: number; readonly record: LoopRecord; readonly nextStartMs: number | undefined };

export interface LoopDriver {
  readonly experiment: Experiment;
  /** The live result document; each loop resets its per-loop fields. */
  readonly result: ResultDocument;
  readonly plan: LoopPlan;
  readonly signal: AbortSignal;
  emit(event: LoopEvent): void;
  /** Runs the task list once; resolves true when it stopped the experiment (a hard failure or a cancel). */
  runOnce(loop: LoopInfo): Promise<boolean>;
}

/** Runs the loops of `driver.plan`; the result holds the last loop's measurements and the history. */
export async function driveLoops(driver: LoopDriver): Promise<void> {
  const { result, plan, signal } = driver;
  const looped = plan.loops !== 1;
  if (looped) result.loops = [];
  const scope = assessScope(driver.experiment);
  let earlier: SampleMap = {};
  let previousStartMs = 0;
  for (let loop = 1; plan.loops === undefined || loop <= plan.loops; loop++) {
    if (loop > 1) {
      const startMs = plan.nextStartMs(previousStartMs);
      const started = plan.wait ? await plan.wait(startMs, signal) : await waitUntil(startMs, signal);
      if (!started || signal.aborted) {
        interrupted(result, loop - 1, plan.loops);
        return;
      }
      resetForLoop(result);
    }
    previousStartMs = Date.now();
    result.numLoops = loop;
    if (looped) driver.emit({ type: "loop-started", loop, loops: plan.loops, startMs: previousStartMs });
    const last = plan.loops !== undefined && loop === plan.loops;
    const stopped = await driver.runOnce({ number: loop, planned: plan.loops, last, earlierSamples: earlier });
    if (looped) {
      const record = loopRecord(result, loop, previousStartMs, stopped, scope);
      const history = (result.loops ??= []);
      history.push(record);
      if (history.length > MAX_LOOP_RECORDS) history.splice(0, history.length - MAX_LOOP_RECORDS);
      const more = !stopped && !last;
      driver.emit({ type: "loop-finished", loop, record, nextStartMs: more ? Math.max(Date.now(), plan.nextStartMs(previousStartMs)) : undefined });
    }
    if (stopped) return;
    earlier = addSampleMaps(earlier, result.samples ?? {});
  }
}

/** Waits until `startMs` (epoch ms); false when the signal aborted first. */
export async function waitUntil(startMs: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  const waitMs = startMs - Date.now();
  if (waitMs <= 0) return true;
  try {
    await sleep(waitMs, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function interrupted(result: ResultDocument, loopsRun: number, planned: number | undefined): void {
  result.incomplete = true;
  result.failure ??= `interrupted after ${loopsRun}${planned === undefined ? "" : ` of ${planned}`} loops; measurements so far are kept`;
}

/** Fresh measurements for the next loop; versions, metric descriptions, timeline and traffic stay. */
function resetForLoop(result: ResultDocument): void {
  result.metrics = Object.fromEntries(result.versions.map((version) => [version, {}]));
  result.histograms = {};
  result.slos = [];
  result.numCompletedTasks = 0;
  delete result.samples;
  delete result.metricErrors;
  delete result.assessment;
  delete result.load;
  result.tasks = result.tasks.map((task): TaskResult => ({
    index: task.index,
    task: task.task,
    ...(task.writtenName !== undefined ? { writtenName: task.writtenName } : {}),
    status: "pending",
    ...(task.condition !== undefined ? { condition: task.condition } : {}),
  }));
}

function assessScope(experiment: Experiment): LoopRecord["scope"] {
  for (const entry of experiment.tasks) if (entry.spec.task === "assess") return entry.spec.scope ?? "loop";
  return null;
}

function loopRecord(result: ResultDocument, loop: number, startMs: number, stopped: boolean, scope: LoopRecord["scope"]): LoopRecord {
  const endMs = Date.now();
  const winner = result.assessment?.["winner"];
  const weights = result.assessment?.["weights"];
  const traffic = result.traffic?.loop === loop ? result.traffic : undefined;
  return {
    loop,
    startTime: new Date(startMs).toISOString(),
    endTime: new Date(endMs).toISOString(),
    durationMs: endMs - startMs,
    completed: !stopped,
    failure: stopped ? result.failure : null,
    winner: typeof winner === "string" ? winner : null,
    scope,
    tasks: result.tasks.map((task) => task.status),
    metrics: structuredClone(result.metrics),
    slos: structuredClone(result.slos),
    ...(isWeights(weights) ? { recommendedWeights: { ...weights } } : {}),
    ...(traffic ? { weightsApplied: { ...traffic.weights } } : {}),
  };
}

function isWeights(value: unknown): value is Record<string, number> {
  return value !== null && typeof value === "object" && Object.values(value).every((v) => typeof v === "number");
}
