/**
 * A running experiment's events as progress-line updates: a load task's progress events, labelled
 * with the task's number as the report's TASKS table shows it (`task 1 (http)`).
 */
import type { RunEvent } from "../../coordinator/index.js";
import type { ProgressUpdate } from "./progress.js";

/** The progress update an event carries, if any. */
export function progressUpdateOf(event: RunEvent): ProgressUpdate | undefined {
  if (event.type !== "task-event" || event.event.type !== "progress") return undefined;
  const { elapsedMs, requests, errors, totalRequests, totalMs, final, complete } = event.event.data;
  return {
    task: `task ${event.index + 1} (${event.task})`,
    elapsedMs,
    requests,
    errors,
    ...(totalRequests !== undefined ? { totalRequests } : {}),
    ...(totalMs !== undefined ? { totalMs } : {}),
    ...(final === true ? { final: true, complete: complete === true } : {}),
  };
}
