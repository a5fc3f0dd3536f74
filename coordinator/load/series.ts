/**
 * The seam between a load run and its protocol. A LoadRun (load-run.ts) does what every load task
 * does — pick agents, split each series into shards, start them together, hand a lost agent's
 * share to the others, merge reports, check conservation — and asks its SeriesSpec only what
 * depends on the protocol: which series there are and what one request of each is, which ShardSpec
 * fields are the protocol's own, and how a merged series becomes metrics. http-series.ts is the
 * http task's; a grpc task brings its own (its call in SeriesLoad, `grpc/…` metrics) and reuses
 * everything else.
 */
import type { AgentSelection, LoadModelKind, SeriesLoadInit, ShardSpecInit, StageSpec } from "../../core/index.js";
import type { SeriesMetrics } from "./builtin-metrics.js";
import type { SeriesAggregate } from "./merger.js";

/**
 * The protocol-independent part of a load task's spec: how much load, shaped how, for how long,
 * on which agents. A task spec is normalised into these fields when it is parsed (a grpc task's
 * `total`, `rps` and `concurrency` become `numRequests`, `qps` and `connections`).
 */
export interface LoadShape {
  /** At least one; every version is loaded with the same shape. */
  readonly versions: readonly { readonly name: string }[];
  /** Requests per series; undefined in duration mode. */
  readonly numRequests: number | undefined;
  /** Run length in duration mode. */
  readonly durationMs: number | undefined;
  /** Requests per second per series (open model), or the closed model's rate cap; 0 = unlimited. */
  readonly qps: number;
  /** Connections per series. */
  readonly connections: number;
  readonly loadModel: LoadModelKind;
  /** Open model ramp; empty for a constant rate. */
  readonly stages: readonly StageSpec[];
  /** Percentiles the metrics report. */
  readonly percentiles: readonly number[];
  readonly warmupNumRequests: number | undefined;
  readonly warmupDurationMs: number | undefined;
  /** Iter8's `warmup: true`: the load runs and its results are discarded (no metrics, no histograms). */
  readonly warmup?: boolean | undefined;
  /** Which agents may take part (a count or a label selector); undefined = all. */
  readonly agents: AgentSelection | undefined;
}

/** What one request of a series is: the SeriesLoad fields that are not shares of the load. */
export type SeriesTarget = Omit<SeriesLoadInit, "version" | "endpoint" | "model" | "numRequests" | "warmupNumRequests" | "connections">;

/** The ShardSpec fields that belong to the protocol (timeouts, TLS, what counts as an error). */
export type ShardOptions = Omit<ShardSpecInit, "series" | "durationMs" | "warmupDurationMs" | "reportIntervalMs">;

/** One stream of requests: a version, or one endpoint of a version. */
export interface PlannedSeries {
  readonly version: string;
  /** "" for the version's main target. */
  readonly endpoint: string;
  readonly target: SeriesTarget;
  /** The series' own load over the task's (an endpoint's own `total`, `concurrency`, `rps`). */
  readonly load?: Pick<LoadShape, "numRequests" | "qps" | "connections" | "loadModel">;
}

export interface SeriesMetricOptions {
  readonly percentiles: readonly number[];
  /** The span throughput is computed over (ms). */
  readonly durationMs: number;
  /** Open model: latency is from the intended send time, and service time is reported too. */
  readonly openModel: boolean;
}

/** What a protocol contributes to a LoadRun. */
export interface SeriesSpec<S extends LoadShape> {
  /** The task's name ("http"), for logs. */
  readonly protocol: string;
  /** The series of a task, in a stable order (versions in order, endpoints in order). */
  series(spec: S): readonly PlannedSeries[];
  /** The protocol's ShardSpec fields, the same for every shard of the run. */
  shardOptions(spec: S): ShardOptions;
  /** Built-in metrics of one merged series (names, values, samples, histograms). */
  metrics(aggregate: SeriesAggregate, options: SeriesMetricOptions): SeriesMetrics;
}
