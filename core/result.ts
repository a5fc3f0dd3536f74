/**
 * The result document (EXPERIMENT.md): what `assay run --output json` prints, what `--out`
 * stores, what `report` and `assert` read, and what action templates see as `Result`.
 * Plain JSON: no class instances, no undefined inside arrays.
 */
import type { ErrorCode } from "./errors.js";

/** Readers accept every version up to this one (1: the first; 2: see docs/experiments.md, "schemaVersion 2"). */
export const RESULT_SCHEMA_VERSION = 2;

export type TaskStatus = "pending" | "running" | "completed" | "skipped" | "failed" | "cancelled";

export interface TaskResult {
  index: number;
  /** Canonical task name. */
  task: string;
  /** As written in the file when it was an alias. */
  writtenName?: string;
  status: TaskStatus;
  /** `if:` as written. */
  condition?: string;
  startTime?: string;
  durationMs?: number;
  /** Action tasks: how many attempts were made. */
  attempts?: number;
  /** Why the task failed: the error's stable code (core/errors.ts) and its message. */
  error?: { code: ErrorCode; message: string };
  /** Task-specific detail (e.g. a load task's shard layout, an action's HTTP status). */
  detail?: Record<string, unknown>;
}

export interface MetricInfo {
  units?: string;
  type: "counter" | "gauge" | "histogram";
  description: string;
}

export interface SloResult {
  metric: string;
  direction: "upper" | "lower";
  limit: number;
  /** Per version: whether the SLO holds. A missing metric is `false`. */
  satisfied: Record<string, boolean>;
  /** Per version: the value compared (null when missing). */
  value: Record<string, number | null>;
  /** Assessment (Bayesian layer): posterior probability the SLO holds, per version. */
  probability?: Record<string, number | null>;
}

/** Encoded latency histograms of one series (base64 of HdrHistogram's compressed encoding, µs). */
export interface SeriesHistograms {
  latency: string;
  serviceTime?: string;
  scheduleLag?: string;
}

export interface LoadEvent {
  time: string;
  type: "agent-joined" | "agent-lost" | "agent-drained" | "redistributed" | "degraded" | "late-report" | "interrupted" | "info";
  agentId?: string;
  message: string;
}

/** What the load tasks recorded about the run itself. */
export interface LoadSummary {
  /** Agents that ran shards. */
  agents: string[];
  /** Largest difference between agents' actual start times (ms). */
  startSkewMs: number;
  durationMs: number;
  /** Conservation check: per agent, interval counts versus shard totals. */
  conservation: { ok: boolean; mismatches: string[] };
  /** Distinct error messages (connection refused, timeout, ...) with counts, per version. */
  errors: Record<string, Record<string, number>>;
  events: LoadEvent[];
  /** How many interval reports were merged. */
  reportsMerged: number;
  /**
   * Versions none of whose requests got a response (each failed to connect, or was reset or closed
   * before answering; timeouts excluded), over every load task of the run: the target was not
   * reachable. Absent when there is none (schemaVersion 2).
   */
  unreachable?: string[];
}

export interface ResultDocument {
  schemaVersion: number;
  name: string;
  /** Every task ran to its end (skipped tasks count as ended). */
  completed: boolean;
  /** Why the experiment did not complete or a task failed; null when none did. */
  failure: string | null;
  /** The run was cut short (Ctrl-C, cancel, the link to the agents lost): what was measured is kept. */
  incomplete: boolean;
  startTime: string;
  endTime?: string;
  numCompletedTasks: number;
  versions: string[];
  /** version -> metric name -> value (latency in ms). */
  metrics: Record<string, Record<string, number>>;
  metricsInfo: Record<string, MetricInfo>;
  slos: SloResult[];
  tasks: TaskResult[];
  /** version -> series prefix ("http", "http-<endpoint>") -> histograms. */
  histograms: Record<string, Record<string, SeriesHistograms>>;
  load?: LoadSummary;
  /**
   * Assessment beyond SLOs (coordinator/assessment's `Assessment`): probabilities, winner, weights.
   * Its `rewardOrder` (a list, schemaVersion 2) is the order of the rewards — the first decides the
   * winner and the split — since its `rewards` map may be written with its keys re-ordered.
   */
  assessment?: Record<string, unknown>;
  /** version -> metric -> sample statistics (for assessment and offline re-analysis). */
  samples?: Record<string, Record<string, MetricSample>>;
  /** Errors from metrics tasks, per version and metric, when a value could not be obtained. */
  metricErrors?: Record<string, Record<string, string>>;
  /**
   * Load tasks' merged snapshots, one per report interval, oldest first (schemaVersion 2): what
   * watchers saw live, kept so a finished experiment's time series can be drawn again.
   */
  timeline?: TimelinePoint[];
  /**
   * Loops run (schemaVersion 2; Iter8's `NumLoops`): 1 for a plain run; while loop k runs it is k,
   * so `if: NumLoops == 10` runs a task in the tenth loop only.
   */
  numLoops?: number;
  /**
   * A looped experiment's history (`--loops`, `--interval`, `--schedule`), oldest first, at most
   * MAX_LOOP_RECORDS (the oldest are dropped). Absent for a plain single run. The top-level
   * metrics, SLOs and assessment are the last loop's.
   */
  loops?: LoopRecord[];
  /** What the `traffic` task last wrote (weights in force after it). */
  traffic?: TrafficState;
  /** The experiment file it came from. */
  source: string;
}

/** The most loop records a result keeps (the service keeps the last 100 loops of an experiment). */
export const MAX_LOOP_RECORDS = 100;

/** One loop of a looped experiment, as kept in `result.loops`. */
export interface LoopRecord {
  /** 1-based. */
  loop: number;
  startTime: string;
  endTime: string;
  durationMs: number;
  /** Every task of the loop ended (completed, skipped, or failed softly). */
  completed: boolean;
  /** Why the loop stopped early (a task failed, or it was interrupted); null otherwise. */
  failure: string | null;
  /** The winner of the loop's assessment (null: none, or no assessment). */
  winner: string | null;
  /** The assessment scope of the loop's `assess` task: `loop` (its own data) or `cumulative`. */
  scope: "loop" | "cumulative" | null;
  /** Each task's status in this loop, by index. */
  tasks: TaskStatus[];
  /** The loop's own metrics (version -> metric -> value). */
  metrics: Record<string, Record<string, number>>;
  slos: SloResult[];
  /** The assessment's recommended split (uncapped), when it made one. */
  recommendedWeights?: Record<string, number>;
  /** The weights the `traffic` task wrote in this loop. */
  weightsApplied?: Record<string, number>;
}

/** The `traffic` task's last action. */
export interface TrafficState {
  pattern: "progressive" | "fixed-split" | "blue-green" | "dark-launch";
  /** Weights read from the cluster before the change (version -> percent). */
  before: Record<string, number>;
  /** Weights in force after the task (version -> percent, sum 100). */
  weights: Record<string, number>;
  /** `step` during the loops; `promote`, `rollback` or `keep` when onFinish applied. */
  action: "step" | "promote" | "rollback" | "keep";
  /** In the loop (result.numLoops) it was written. */
  loop: number;
  /** Why the weights are what they are (one line per decision). */
  reasons: string[];
}

/** One version in a timeline point. Counts are cumulative; `interval*` cover `intervalMs`. */
export interface TimelineVersion {
  version: string;
  requests: number;
  errors: number;
  dropped: number;
  intervalRequests: number;
  intervalErrors: number;
  intervalDropped: number;
  /** Latency percentiles of the interval's own histogram (ms); null without requests in it. */
  intervalP50Ms: number | null;
  intervalP95Ms: number | null;
  intervalP99Ms: number | null;
  /** Open model: service-time percentiles of the interval (ms); null in the closed model. */
  intervalServiceP50Ms: number | null;
  intervalServiceP95Ms: number | null;
  intervalServiceP99Ms: number | null;
}

/** The merged state of one load task at one report interval. */
export interface TimelinePoint {
  /** Index of the load task. */
  task: number;
  /** The loop the point belongs to (looped experiments only). */
  loop?: number;
  /** When the snapshot was taken (epoch ms, coordinator clock). */
  timeMs: number;
  /** Since the load task started. */
  elapsedMs: number;
  /** Since the previous point of the same task (0 on the first). */
  intervalMs: number;
  versions: TimelineVersion[];
}

/**
 * Sample statistics behind a metric, so assessment can reason about uncertainty and not only a
 * point value. Stored in the result (`samples`) so `assay analyze` can redo an assessment later.
 */
export type MetricSample =
  /** successes out of trials (error rate, conversion). Beta–Binomial. */
  | { type: "rate"; successes: number; trials: number }
  /** n, sum and sum of squares of observations (mean latency, revenue per user). Normal. */
  | { type: "mean"; count: number; sum: number; sumOfSquares: number }
  /** events over exposure (errors per hour). Gamma–Poisson. */
  | { type: "count"; events: number; exposure: number }
  /** Latency histogram (base64 HdrHistogram, µs): percentile SLOs become binomial questions. */
  | { type: "histogram"; histogram: string };
