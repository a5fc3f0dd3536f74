/**
 * Per-version metrics of a running load task, merged across agents and endpoints by exact
 * histogram addition: what watchers of an experiment get once per report interval (as a task
 * event of type "snapshot", see LoadSnapshotData).
 */
import { createHistogram, percentileMs } from "../../core/index.js";
import type { SeriesAggregate } from "./merger.js";

/** One version's cumulative counts and latency percentiles (ms, null before any request). */
export interface VersionSnapshot {
  version: string;
  requests: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** The `data` of a load task's "snapshot" event. */
export interface LoadSnapshotData {
  elapsedMs: number;
  /** Expected totals when known. */
  totalRequests?: number;
  totalMs?: number;
  versions: VersionSnapshot[];
}

export function versionSnapshots(series: Iterable<SeriesAggregate>): VersionSnapshot[] {
  const byVersion = new Map<string, SeriesAggregate[]>();
  for (const aggregate of series) {
    const list = byVersion.get(aggregate.version) ?? [];
    list.push(aggregate);
    byVersion.set(aggregate.version, list);
  }
  return [...byVersion].map(([version, aggregates]) => {
    const single = aggregates.length === 1 ? aggregates[0] : undefined;
    const latency = single ? single.latency : createHistogram();
    if (!single) for (const aggregate of aggregates) latency.add(aggregate.latency);
    const snapshot: VersionSnapshot = {
      version,
      requests: aggregates.reduce((sum, a) => sum + a.counts.requests, 0),
      errors: aggregates.reduce((sum, a) => sum + a.counts.errors, 0),
      p50Ms: percentileMs(latency, 50) ?? null,
      p95Ms: percentileMs(latency, 95) ?? null,
      p99Ms: percentileMs(latency, 99) ?? null,
    };
    if (!single) latency.destroy();
    return snapshot;
  });
}
