/**
 * Iter8's chart renders a warm-up as its own `warmup: true` http task and leaves
 * `warmupNumRequests`/`warmupDuration` in the main task that follows (Iter8's task ignores them).
 * In Assay those are warm-up fields, so the render would warm up twice. When an http task with
 * `warmup: true` directly precedes an http task with the same target that has them, they are the
 * chart's leftovers and are dropped (test/compat/SPEC.md §1.6.1).
 */
import type { HttpTaskSpec } from "../../core/index.js";
import type { TaskContext } from "../tasks/types.js";

function targetOf(spec: HttpTaskSpec): string {
  return JSON.stringify(spec.versions.map((v) => [v.request.url, Object.entries(v.endpoints).map(([name, e]) => [name, e.url])]));
}

/** `spec` without the chart's leftover warm-up fields when a chart warm-up task precedes it. */
export function withoutChartWarmup(spec: HttpTaskSpec, context: TaskContext): HttpTaskSpec {
  if (spec.warmupNumRequests === undefined && spec.warmupDurationMs === undefined) return spec;
  const previous = context.experiment.tasks.find((entry) => entry.index === context.entry.index - 1)?.spec;
  if (previous?.task !== "http" || previous.warmup !== true || targetOf(previous) !== targetOf(spec)) return spec;
  context.logger.info({ task: context.entry.index }, "warmupNumRequests/warmupDuration ignored: the warm-up task before this one (Iter8 chart render) already warmed up");
  return { ...spec, warmupNumRequests: undefined, warmupDurationMs: undefined };
}
