/**
 * What a load runner is given (the agent link, timings, a store for plans, telemetry), the same
 * with every default applied, and the stored form of a run's plan that lets a restarted
 * coordinator resume it.
 */
import type { AgentEventHandler, AgentLink, LoadEvent } from "../../core/index.js";

/** A run's plan as stored for a coordinator restart. Shard specs are base64 protobuf ShardSpecs. */
export interface StoredRun {
  readonly runId: string;
  readonly startAtMs: number;
  readonly status: "running" | "finished";
  readonly shards: readonly { agentId: string; shardId: string; spec: string; abandoned?: boolean; abandonedAfterSeq?: number }[];
  readonly events: readonly LoadEvent[];
}

/** Where run plans live (a JetStream key-value bucket for distributed runs). */
export interface RunStateStore {
  load(key: string): Promise<StoredRun | undefined>;
  save(key: string, run: StoredRun): Promise<void>;
  /**
   * Delivers every report and ShardDone of the run stored so far, then keeps following it, until
   * the returned function is called (acks are no-ops).
   */
  replay(runId: string, handler: AgentEventHandler): Promise<() => void>;
}

/** What the load task reports to the operator's metrics (core/ops). */
export interface LoadTelemetry {
  /** A report was merged; `lagMs` is from the end of its interval (agent clock) to now. */
  reportMerged(lagMs: number): void;
  /** A redelivered report was recognised and merged no second time. */
  duplicateReport(): void;
}

export interface LoadRunnerOptions {
  readonly link: AgentLink;
  /** Interval between agents' reports (default 1000 ms). */
  readonly reportIntervalMs?: number;
  /** How long an agent has to answer a control message (default 5000 ms). */
  readonly controlTimeoutMs?: number;
  /** How far in the future the common start time is set (default 150 ms). */
  readonly startLeadMs?: number;
  /** After a cancel, how long to wait for agents' final reports (default 3000 ms). */
  readonly cancelGraceMs?: number;
  /** Once every shard is done, how long to wait for reports still in flight (default 5000 ms). */
  readonly missingReportGraceMs?: number;
  /**
   * Store the plan under `<key>.t<task index>`; a run found there is resumed instead of started.
   * An agent of a resumed plan that has not re-registered within `resumeGraceMs` (default 5000)
   * is treated as lost.
   */
  readonly state?: { readonly store: RunStateStore; readonly key: string; readonly resumeGraceMs?: number };
  /** Counters for the operator's metrics endpoint. */
  readonly telemetry?: LoadTelemetry;
}

/** LoadRunnerOptions with every default applied. */
export interface LoadRunSettings {
  readonly reportIntervalMs: number;
  readonly controlTimeoutMs: number;
  readonly startLeadMs: number;
  readonly cancelGraceMs: number;
  readonly missingReportGraceMs: number;
  readonly resumeGraceMs: number;
}

export function loadRunSettings(options: LoadRunnerOptions): LoadRunSettings {
  return {
    reportIntervalMs: options.reportIntervalMs ?? 1000,
    controlTimeoutMs: options.controlTimeoutMs ?? 5000,
    startLeadMs: options.startLeadMs ?? 150,
    cancelGraceMs: options.cancelGraceMs ?? 3000,
    missingReportGraceMs: options.missingReportGraceMs ?? 5000,
    resumeGraceMs: options.state?.resumeGraceMs ?? 5000,
  };
}
