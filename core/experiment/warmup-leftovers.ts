/**
 * Iter8 v0.14's chart writes `warmupNumRequests` / `warmupDuration` as a separate `warmup: true`
 * http task and leaves the same keys in the measured task after it (test/compat/SPEC.md §1.6.1).
 * Iter8's http task ignores those leftovers, so Iter8 warms up once; Assay's http task reads them
 * and would warm up a second time. Rule: an http task whose warm-up repeats the `warmup: true`
 * http task directly before it — same versions and endpoints, same `if`, and the warm-up task's
 * count (or duration) equal to the leftover — does not warm up again.
 */
import type { HttpTaskSpec, TaskEntry } from "./model.js";
import { TaskName } from "./model.js";

/** The versions and endpoints an http task sends to, without its load (which the warm-up copy changes). */
function target(spec: HttpTaskSpec): string {
  return JSON.stringify(spec.versions, (key, value: unknown) => (key === "load" ? undefined : value));
}

function isChartLeftover(previous: TaskEntry | undefined, entry: TaskEntry): boolean {
  const before = previous?.spec;
  const spec = entry.spec;
  if (before?.task !== TaskName.Http || spec.task !== TaskName.Http) return false;
  if (before.warmup !== true || spec.warmup === true) return false;
  if (previous?.conditionText !== entry.conditionText) return false;
  const repeats = spec.warmupNumRequests !== undefined ? before.numRequests === spec.warmupNumRequests : spec.warmupDurationMs !== undefined && before.durationMs === spec.warmupDurationMs;
  return repeats && target(before) === target(spec);
}

/** The tasks with the chart's warm-up leftovers removed (the list is unchanged when there are none). */
export function dropChartWarmupLeftovers(tasks: readonly TaskEntry[]): TaskEntry[] {
  return tasks.map((entry, i) => {
    if (entry.spec.task !== TaskName.Http || !isChartLeftover(tasks[i - 1], entry)) return entry;
    return { ...entry, spec: { ...entry.spec, warmupNumRequests: undefined, warmupDurationMs: undefined } };
  });
}
