/**
 * The Prometheus metrics of the coordinator and the agent, defined once so names, help texts,
 * labels and buckets do not drift between the code, the dashboards and docs/operations.md.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram } from "prom-client";
import type { Registry } from "prom-client";

export interface MetricsOptions {
  /** Also register prom-client's process metrics (CPU, memory, event-loop lag, GC). Default true. */
  processMetrics?: boolean;
}

/** Values read at each scrape, for gauges the owner can compute rather than track. */
export interface CoordinatorMetricSources {
  agentsConnected?: () => number;
  experimentsRunning?: () => number;
}

/** Values read at each scrape; `deadManTrips` is a running total (the counter follows it). */
export interface AgentMetricSources {
  deadManTrips?: () => number;
  shardsRunning?: () => number;
  /** Whether the coordinator answered recently (its heartbeat replies arrive every second). */
  coordinatorConnected?: () => boolean;
}

export interface CoordinatorMetrics {
  /** Agents currently registered and heartbeating. */
  readonly agentsConnected: Gauge;
  /** Experiments currently running (queued ones excluded). */
  readonly experimentsRunning: Gauge;
  /** Experiments finished, by outcome (`completed`, `failed`, `cancelled`). */
  readonly experimentsFinished: Counter<"outcome">;
  /** Interval reports merged (each (agent, shard, seq) counted once; duplicates are not). */
  readonly reportsMerged: Counter;
  /** Duplicate reports dropped by the idempotent merger. */
  readonly reportsDuplicate: Counter;
  /** Seconds from an agent sending a report to the merged snapshot including it. */
  readonly mergeLagSeconds: Histogram;
  /** Errors by kind: the ErrorKind values of core/errors.ts (`transport`, `target`, ...). */
  readonly errors: Counter<"kind">;
}

export interface AgentMetrics {
  /** 1 while the coordinator answers heartbeats, 0 otherwise. */
  readonly coordinatorConnected: Gauge;
  /** Shards this agent is currently running. */
  readonly shardsRunning: Gauge;
  /** Requests sent to targets, by response class (`2xx`..`5xx`, `error` for transport failures). */
  readonly requestsSent: Counter<"class">;
  /** Requests that could not be sent at their intended time (open model) and were counted as missed. */
  readonly requestsMissed: Counter;
  /** Interval reports published. */
  readonly reportsSent: Counter;
  /** Times the dead-man switch stopped the load because the coordinator went silent. */
  readonly deadManStops: Counter;
  /** Errors by kind: the ErrorKind values of core/errors.ts (`transport`, `target`, ...). */
  readonly errors: Counter<"kind">;
}

/** Merge lag buckets (seconds): the goal is p99 under 1 s at 1,000 agents. */
const MERGE_LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Registers the coordinator's metrics (`assay_coordinator_*`) in `registry`. */
export function createCoordinatorMetrics(registry: Registry, options: MetricsOptions & CoordinatorMetricSources = {}): CoordinatorMetrics {
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "assay_coordinator_" });
  const registers = [registry];
  const { agentsConnected, experimentsRunning } = options;
  return {
    agentsConnected: new Gauge({
      name: "assay_coordinator_agents_connected",
      help: "Agents registered and heartbeating.",
      registers,
      ...(agentsConnected ? { collect() { this.set(agentsConnected()); } } : {}),
    }),
    experimentsRunning: new Gauge({
      name: "assay_coordinator_experiments_running",
      help: "Experiments currently running.",
      registers,
      ...(experimentsRunning ? { collect() { this.set(experimentsRunning()); } } : {}),
    }),
    experimentsFinished: new Counter({
      name: "assay_coordinator_experiments_finished_total",
      help: "Experiments finished, by outcome.",
      labelNames: ["outcome"] as const,
      registers,
    }),
    reportsMerged: new Counter({ name: "assay_coordinator_reports_merged_total", help: "Interval reports merged (each once).", registers }),
    reportsDuplicate: new Counter({
      name: "assay_coordinator_reports_duplicate_total",
      help: "Redelivered interval reports dropped by the idempotent merger.",
      registers,
    }),
    mergeLagSeconds: new Histogram({
      name: "assay_coordinator_merge_lag_seconds",
      help: "Seconds from an agent sending an interval report to the merged snapshot including it.",
      buckets: MERGE_LAG_BUCKETS,
      registers,
    }),
    errors: new Counter({ name: "assay_coordinator_errors_total", help: "Errors, by kind.", labelNames: ["kind"] as const, registers }),
  };
}

/** Registers the agent's metrics (`assay_agent_*`) in `registry`. */
export function createAgentMetrics(registry: Registry, options: MetricsOptions & AgentMetricSources = {}): AgentMetrics {
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "assay_agent_" });
  const registers = [registry];
  const { deadManTrips, shardsRunning, coordinatorConnected } = options;
  let tripsCounted = 0;
  return {
    coordinatorConnected: new Gauge({
      name: "assay_agent_coordinator_connected",
      help: "1 while the coordinator answers heartbeats, else 0.",
      registers,
      ...(coordinatorConnected ? { collect() { this.set(coordinatorConnected() ? 1 : 0); } } : {}),
    }),
    shardsRunning: new Gauge({
      name: "assay_agent_shards_running",
      help: "Shards currently running on this agent.",
      registers,
      ...(shardsRunning ? { collect() { this.set(shardsRunning()); } } : {}),
    }),
    requestsSent: new Counter({
      name: "assay_agent_requests_sent_total",
      help: "Requests sent to targets, by response class.",
      labelNames: ["class"] as const,
      registers,
    }),
    requestsMissed: new Counter({
      name: "assay_agent_requests_missed_total",
      help: "Requests not sent at their intended time (open model), counted, not hidden.",
      registers,
    }),
    reportsSent: new Counter({ name: "assay_agent_reports_sent_total", help: "Interval reports published.", registers }),
    deadManStops: new Counter({
      name: "assay_agent_dead_man_stops_total",
      help: "Times the load was stopped because the coordinator went silent.",
      registers,
      ...(deadManTrips
        ? {
            collect() {
              const trips = deadManTrips();
              if (trips > tripsCounted) this.inc(trips - tripsCounted);
              tripsCounted = Math.max(tripsCounted, trips);
            },
          }
        : {}),
    }),
    errors: new Counter({ name: "assay_agent_errors_total", help: "Errors, by kind.", labelNames: ["kind"] as const, registers }),
  };
}
