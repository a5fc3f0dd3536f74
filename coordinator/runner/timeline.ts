/**
 * The result's timeline (schemaVersion 2): every merged snapshot a load task emits is kept as a
 * point, so a finished experiment's time series can be drawn again (dashboard, HTML report).
 * Bounded: past MAX_POINTS_PER_TASK points of one task, every other point of it is dropped
 * (cumulative counts stay exact; interval figures of the dropped points are lost).
 */
import type { ResultDocument, TimelinePoint } from "../../core/index.js";
import type { LoadSnapshotData } from "../load/snapshot.js";

export const MAX_POINTS_PER_TASK = 2000;

/** Appends a load task's "snapshot" event data to `result.timeline`. */
export function recordTimelinePoint(result: ResultDocument, task: number, data: LoadSnapshotData, timeMs = Date.now()): void {
  const point: TimelinePoint = {
    task,
    ...(result.loops !== undefined && result.numLoops !== undefined ? { loop: result.numLoops } : {}),
    timeMs,
    elapsedMs: data.elapsedMs,
    intervalMs: data.intervalMs,
    versions: data.versions.map((v) => ({
      version: v.version,
      requests: v.requests,
      errors: v.errors,
      dropped: v.dropped,
      intervalRequests: v.intervalRequests,
      intervalErrors: v.intervalErrors,
      intervalDropped: v.intervalDropped,
      intervalP50Ms: v.intervalP50Ms,
      intervalP95Ms: v.intervalP95Ms,
      intervalP99Ms: v.intervalP99Ms,
      intervalServiceP50Ms: v.intervalServiceP50Ms,
      intervalServiceP95Ms: v.intervalServiceP95Ms,
      intervalServiceP99Ms: v.intervalServiceP99Ms,
    })),
  };
  const timeline = (result.timeline ??= []);
  timeline.push(point);
  let ofTask = 0;
  for (const p of timeline) if (p.task === task) ofTask++;
  if (ofTask > MAX_POINTS_PER_TASK) {
    let seen = 0;
    // Keeps the first and every second point of the task; always keeps the newest.
    result.timeline = timeline.filter((p, i) => p.task !== task || i === timeline.length - 1 || seen++ % 2 === 0);
  }
}
