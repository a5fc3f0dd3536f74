/**
 * The page's data model: turns the result document's timeline and the live watch events into
 * one series of points per load task, and picks the numbers of the versions table (live snapshot
 * while a load task runs, the result document's metrics otherwise — so the numbers at the end are
 * exactly the result's).
 */
import type { DashboardExperiment, TimelinePoint, api } from "../core/index.js";

/** One version at one point of the time series. */
export interface PointValues {
  throughputQps: number;
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  serviceP95Ms: number | null;
  droppedPerSecond: number;
}

export interface Point {
  task: number;
  /** Seconds since the load task started. */
  elapsedS: number;
  versions: Map<string, PointValues>;
}

const nonZero = (value: unknown): number | null => (typeof value === "number" && value > 0 ? value : null);

function values(intervalMs: number, elapsedMs: number, requests: number, errors: number, dropped: number): Pick<PointValues, "throughputQps" | "errorRate" | "droppedPerSecond"> {
  const spanS = (intervalMs > 0 ? intervalMs : elapsedMs) / 1000;
  return {
    throughputQps: spanS > 0 ? requests / spanS : 0,
    errorRate: requests > 0 ? errors / requests : null,
    droppedPerSecond: spanS > 0 ? dropped / spanS : 0,
  };
}

export function pointFromTimeline(point: TimelinePoint): Point {
  const versions = new Map<string, PointValues>();
  for (const v of point.versions) {
    versions.set(v.version, {
      ...values(point.intervalMs, point.elapsedMs, v.intervalRequests, v.intervalErrors, v.intervalDropped),
      p50Ms: nonZero(v.intervalP50Ms),
      p95Ms: nonZero(v.intervalP95Ms),
      p99Ms: nonZero(v.intervalP99Ms),
      serviceP95Ms: nonZero(v.intervalServiceP95Ms),
    });
  }
  return { task: point.task, elapsedS: Math.round(point.elapsedMs) / 1000, versions };
}

export function pointFromMetrics(metrics: api.MetricsSnapshot): Point {
  const versions = new Map<string, PointValues>();
  const intervalMs = Number(metrics.intervalMs ?? 0);
  const elapsedMs = Number(metrics.elapsedMs ?? 0);
  for (const v of metrics.versions ?? []) {
    versions.set(v.version ?? "", {
      ...values(intervalMs, elapsedMs, Number(v.intervalRequests ?? 0), Number(v.intervalErrors ?? 0), Number(v.intervalDropped ?? 0)),
      p50Ms: nonZero(v.intervalLatencyP50Ms),
      p95Ms: nonZero(v.intervalLatencyP95Ms),
      p99Ms: nonZero(v.intervalLatencyP99Ms),
      serviceP95Ms: nonZero(v.intervalServiceTimeP95Ms),
    });
  }
  return { task: Number(metrics.taskIndex ?? 0), elapsedS: Math.round(elapsedMs) / 1000, versions };
}

/**
 * Adds a point unless one of the same task and time is there already (the stored timeline and the
 * live stream overlap, in either order); keeps the points sorted by task, then time.
 */
export function addPoint(points: Point[], point: Point): void {
  const key = (p: Point): number => p.task * 1e9 + Math.round(p.elapsedS * 1000);
  const k = key(point);
  let at = points.length;
  while (at > 0 && key(points[at - 1] as Point) > k) at--;
  if (at > 0 && key(points[at - 1] as Point) === k) return;
  points.splice(at, 0, point);
}

/** One row of the versions table; `source` says where its numbers come from. */
export interface VersionRow {
  version: string;
  requests: number | null;
  errors: number | null;
  errorRate: number | null;
  throughputQps: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  dropped: number | null;
  source: "live" | "result";
}

const metric = (metrics: Record<string, number> | undefined, name: string): number | null => {
  const value = metrics?.[name];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
};

/**
 * The versions table: the live snapshot while its load task runs, else the result's `http/*`
 * metrics (the numbers `assay get -o json` shows).
 */
export function versionRows(experiment: DashboardExperiment | undefined, latest: api.MetricsSnapshot | undefined, tasks: readonly api.TaskState[]): VersionRow[] {
  const result = experiment?.result ?? null;
  const liveTask = latest ? tasks.find((t) => t.index === latest.taskIndex) : undefined;
  const useLive = latest !== undefined && (liveTask?.status === "running" || !result || !resultHasLoad(result.metrics));
  if (useLive && latest) {
    const elapsedS = Number(latest.elapsedMs ?? 0) / 1000;
    return (latest.versions ?? []).map((v) => {
      const requests = Number(v.requests ?? 0);
      const errors = Number(v.errors ?? 0);
      return {
        version: v.version ?? "",
        requests,
        errors,
        errorRate: requests > 0 ? errors / requests : null,
        throughputQps: elapsedS > 0 ? requests / elapsedS : null,
        p50Ms: nonZero(v.latencyP50Ms),
        p95Ms: nonZero(v.latencyP95Ms),
        p99Ms: nonZero(v.latencyP99Ms),
        dropped: Number(v.dropped ?? 0),
        source: "live",
      };
    });
  }
  if (!result) return [];
  return result.versions.map((version) => {
    const m = result.metrics[version];
    return {
      version,
      requests: metric(m, "http/request-count"),
      errors: metric(m, "http/error-count"),
      errorRate: metric(m, "http/error-rate"),
      throughputQps: metric(m, "http/throughput"),
      p50Ms: metric(m, "http/latency-p50"),
      p95Ms: metric(m, "http/latency-p95"),
      p99Ms: metric(m, "http/latency-p99"),
      dropped: metric(m, "http/dropped-count"),
      source: "result",
    };
  });
}

function resultHasLoad(metrics: Record<string, Record<string, number>>): boolean {
  return Object.values(metrics).some((m) => typeof m["http/request-count"] === "number");
}

/** Experiment states without the prefix, lower case ("running"). */
export function stateName(state: unknown): string {
  return (typeof state === "string" ? state : "").replace(/^EXPERIMENT_STATE_/, "").toLowerCase() || "unknown";
}

export const TERMINAL_STATES = ["completed", "failed", "cancelled"] as const;
