/**
 * Per-version metrics of a running load task, merged across agents and endpoints by exact
 * histogram addition: what watchers of an experiment get once per report interval (as a task
 * event of type "snapshot", see LoadSnapshotData). Besides the cumulative numbers, each snapshot
 * carries what was merged since the previous one (its own histogram: the cumulative one minus the
 * previous cumulative one), so a time series shows each interval and not a running average.
 */
import { createHistogram, logBuckets, percentileMs } from "../../core/index.js";
import type { Histogram, LatencyBucketCount, TimelineVersion } from "../../core/index.js";
import type { AgentShare, RunMerger, SeriesAggregate } from "./merger.js";

/** One version: cumulative counts and percentiles (ms, null before any request), and the interval's. */
export interface VersionSnapshot extends TimelineVersion {
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** The cumulative latency histogram in log-spaced buckets (10 per decade). */
  latencyBuckets: LatencyBucketCount[];
}

/** The `data` of a load task's "snapshot" event. */
export interface LoadSnapshotData {
  elapsedMs: number;
  /** Expected totals when known. */
  totalRequests?: number;
  totalMs?: number;
  /** Since the previous snapshot (0 on the first). */
  intervalMs: number;
  /** Largest difference between agents' actual start times (ms); 0 until known. */
  startSkewMs: number;
  versions: VersionSnapshot[];
  agents: AgentShare[];
}

interface Previous {
  latency: Histogram;
  serviceTime: Histogram | undefined;
  requests: number;
  errors: number;
  dropped: number;
}

/** Builds successive snapshots of one run; `close()` frees the histograms it keeps. */
export class SnapshotBuilder {
  private readonly previous = new Map<string, Previous>();
  private lastAtMs: number | undefined;

  constructor(private readonly startedMs: number) {}

  next(merger: RunMerger, totals: { totalRequests?: number | undefined; totalMs?: number | undefined }, nowMs = Date.now()): LoadSnapshotData {
    const byVersion = new Map<string, SeriesAggregate[]>();
    for (const aggregate of merger.series.values()) {
      const list = byVersion.get(aggregate.version) ?? [];
      list.push(aggregate);
      byVersion.set(aggregate.version, list);
    }
    const versions = [...byVersion].map(([version, aggregates]) => this.version(version, aggregates));
    const intervalMs = this.lastAtMs === undefined ? 0 : nowMs - this.lastAtMs;
    this.lastAtMs = nowMs;
    return {
      elapsedMs: nowMs - this.startedMs,
      ...(totals.totalRequests !== undefined ? { totalRequests: totals.totalRequests } : {}),
      ...(totals.totalMs !== undefined ? { totalMs: totals.totalMs } : {}),
      intervalMs,
      startSkewMs: merger.startSkewMs(),
      versions,
      agents: merger.agentShares(),
    };
  }

  close(): void {
    for (const previous of this.previous.values()) {
      previous.latency.destroy();
      previous.serviceTime?.destroy();
    }
    this.previous.clear();
  }

  private version(version: string, aggregates: readonly SeriesAggregate[]): VersionSnapshot {
    const latency = createHistogram();
    let serviceTime: Histogram | undefined;
    let requests = 0;
    let errors = 0;
    let dropped = 0;
    for (const aggregate of aggregates) {
      latency.add(aggregate.latency);
      if (aggregate.serviceTime) (serviceTime ??= createHistogram()).add(aggregate.serviceTime);
      requests += aggregate.counts.requests;
      errors += aggregate.counts.errors;
      dropped += aggregate.counts.dropped;
    }
    const before = this.previous.get(version);
    const intervalLatency = difference(latency, before?.latency);
    const intervalService = serviceTime ? difference(serviceTime, before?.serviceTime) : undefined;
    const snapshot: VersionSnapshot = {
      version,
      requests,
      errors,
      dropped,
      p50Ms: percentileMs(latency, 50) ?? null,
      p95Ms: percentileMs(latency, 95) ?? null,
      p99Ms: percentileMs(latency, 99) ?? null,
      intervalRequests: requests - (before?.requests ?? 0),
      intervalErrors: errors - (before?.errors ?? 0),
      intervalDropped: dropped - (before?.dropped ?? 0),
      intervalP50Ms: percentileMs(intervalLatency, 50) ?? null,
      intervalP95Ms: percentileMs(intervalLatency, 95) ?? null,
      intervalP99Ms: percentileMs(intervalLatency, 99) ?? null,
      intervalServiceP50Ms: intervalService ? (percentileMs(intervalService, 50) ?? null) : null,
      intervalServiceP95Ms: intervalService ? (percentileMs(intervalService, 95) ?? null) : null,
      intervalServiceP99Ms: intervalService ? (percentileMs(intervalService, 99) ?? null) : null,
      latencyBuckets: logBuckets(latency),
    };
    if (intervalLatency !== latency) intervalLatency.destroy();
    if (intervalService && intervalService !== serviceTime) intervalService.destroy();
    before?.latency.destroy();
    before?.serviceTime?.destroy();
    this.previous.set(version, { latency, serviceTime, requests, errors, dropped });
    return snapshot;
  }
}

/** `current − previous` as a new histogram, or `current` itself when there is no previous one. */
function difference(current: Histogram, previous: Histogram | undefined): Histogram {
  if (!previous || previous.totalCount === 0) return current;
  const interval = createHistogram();
  interval.add(current);
  interval.subtract(previous);
  return interval;
}
