/**
 * The result's timeline (schemaVersion 2): every merged snapshot a load task emits is kept as a
 * point, so a finished experiment's time series can be drawn again (dashboard, HTML report).
 * Bounded: past MAX_POINTS_PER_TASK points of one task, every other point of it is dropped
 * (cumulative counts stay exact; interval figures of the dropped points are lost).
 */
import type { ResultDocument, TimelinePoint, TimelineVersion } from "../../core/index.js";

export const MAX_POINTS_PER_TASK = 2000;

/** Appends a load task's "snapshot" event data (LoadSnapshotData) to `result.timeline`. */
export function recordTimelinePoint(result: ResultDocument, task: number, data: Record<string, unknown>, timeMs = Date.now()): void {
  const versions = Array.isArray(data["versions"]) ? (data["versions"] as Partial<TimelineVersion>[]) : [];
  const point: TimelinePoint = {
    task,
    timeMs,
    elapsedMs: numberOr(data["elapsedMs"], 0),
    intervalMs: numberOr(data["intervalMs"], 0),
    versions: versions.map((v) => ({
      version: String(v.version ?? ""),
      requests: numberOr(v.requests, 0),
      errors: numberOr(v.errors, 0),
      dropped: numberOr(v.dropped, 0),
      intervalRequests: numberOr(v.intervalRequests, 0),
      intervalErrors: numberOr(v.intervalErrors, 0),
      intervalDropped: numberOr(v.intervalDropped, 0),
      intervalP50Ms: numberOr(v.intervalP50Ms, null),
      intervalP95Ms: numberOr(v.intervalP95Ms, null),
      intervalP99Ms: numberOr(v.intervalP99Ms, null),
      intervalServiceP50Ms: numberOr(v.intervalServiceP50Ms, null),
      intervalServiceP95Ms: numberOr(v.intervalServiceP95Ms, null),
      intervalServiceP99Ms: numberOr(v.intervalServiceP99Ms, null),
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

function numberOr<T extends number | null>(value: unknown, fallback: T): number | T {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}
