/**
 * One assigned shard on one agent: waits for its start moment, runs a load runner per series,
 * sends an IntervalReport every reportIntervalMs (aligned to the start, never drifting), then a
 * final report and ShardDone whose totals are the sum of every report sent.
 */
import { performance } from "node:perf_hooks";
import { ErrorCode, InternalError, ValidationError, pb, toAssayError } from "../core/index.js";
import type { AssayError, CoordinatorPort, Logger, SeriesLoadInit, SeriesStatsInit } from "../core/index.js";
import type { HttpClient, HttpClientOptions } from "./engine/client.js";
import { ClosedLoad } from "./engine/closed.js";
import type { SeriesLoadRunner, SeriesShare } from "./engine/load.js";
import { OpenLoad } from "./engine/open.js";
import { createGrpcClient } from "./engine/grpc-client.js";
import type { GrpcCallPlan, ModelPlan, RequestPlan, SeriesPlan, ShardPlan } from "./engine/plan.js";
import { SeriesRecorder } from "./engine/recorder.js";

/** The agent's wall clock (Unix epoch ms). */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** Builds the HTTP client of one series (undici by default; tests and benches may inject). */
export type HttpClientFactory = (request: RequestPlan, options: HttpClientOptions) => HttpClient;

/** Builds the gRPC client of one series. */
export type GrpcClientFactory = (call: GrpcCallPlan, options: HttpClientOptions) => HttpClient;

export type ShardOutcome = "completed" | "cancelled" | "failed";

export interface ShardContext {
  readonly agentId: string;
  readonly runId: string;
  readonly shardId: string;
  readonly port: CoordinatorPort;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly clientFactory: HttpClientFactory;
  /** Builds the client of a gRPC series (grpc-js by default). */
  readonly grpcClientFactory?: GrpcClientFactory;
  /** The runtime's current estimate of (coordinator clock - agent clock), reported in ShardDone. */
  readonly clockOffsetMs: () => number;
}

/** After a Cancel, requests in flight get this long to finish before they are aborted uncounted. */
const CANCEL_GRACE_MS = 600;

type ShardState = "assigned" | "scheduled" | "running" | "done";

export class ShardRun {
  /** Resolves once ShardDone has been handed to the port. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private state: ShardState = "assigned";
  private startTimer: NodeJS.Timeout | null = null;
  private reportTimer: NodeJS.Timeout | null = null;
  private abandonTimer: NodeJS.Timeout | null = null;
  private readonly clients: HttpClient[] = [];
  private readonly recorders: SeriesRecorder[] = [];
  private readonly runners: SeriesLoadRunner[] = [];
  private readonly reportedRequests: number[] = [];
  private seq = 0;
  private startedAtMs = 0;
  private startPerfMs = 0;
  private intervalStartMs = 0;
  private cancelReason: string | null = null;
  private failure: AssayError | null = null;
  private sending: Promise<void> = Promise.resolve();

  /** gRPC series' clients, created at assignment so their connections open before the start (ghz dials first). */
  private readonly preparedClients: (HttpClient | null)[];

  constructor(
    private plan: ShardPlan,
    private readonly ctx: ShardContext,
  ) {
    this.done = new Promise<void>((resolve) => {
      this.resolveDone = resolve;
    });
    this.preparedClients = plan.series.map((series) => (series.grpc ? (ctx.grpcClientFactory ?? createGrpcClient)(series.grpc, this.clientOptions(series)) : null));
    for (const client of this.preparedClients) if (client) this.clients.push(client);
  }

  private clientOptions(series: SeriesPlan): HttpClientOptions {
    return {
      connections: series.connections,
      requestTimeoutMs: this.plan.requestTimeoutMs,
      insecureSkipVerify: this.plan.insecureSkipVerify,
      maxRedirects: this.plan.maxRedirects,
      egress: this.plan.egress,
    };
  }

  get running(): boolean {
    return this.state === "running";
  }

  get finished(): boolean {
    return this.state === "done";
  }

  /** Starts at `localStartMs` on the agent's clock (now if that has passed). Idempotent. */
  start(localStartMs: number): void {
    if (this.state !== "assigned") return;
    this.state = "scheduled";
    const delayMs = Math.max(0, localStartMs - this.ctx.clock.nowMs());
    this.startTimer = setTimeout(() => {
      this.startTimer = null;
      this.begin();
    }, delayMs);
  }

  /**
   * Stops the shard: requests in flight get a short grace, then are aborted uncounted. Sends the
   * final report and ShardDone (outcome "cancelled") and resolves when they were handed over.
   */
  cancel(reason: string): Promise<void> {
    if (this.state === "done" || this.cancelReason !== null) return this.done;
    this.cancelReason = reason;
    if (this.state === "assigned" || this.state === "scheduled") {
      if (this.startTimer) clearTimeout(this.startTimer);
      this.startTimer = null;
      this.startedAtMs = this.ctx.clock.nowMs();
      this.intervalStartMs = this.startedAtMs;
      this.finalize();
      return this.done;
    }
    for (const runner of this.runners) runner.stop();
    this.abandonTimer = setTimeout(() => {
      this.abandonTimer = null;
      for (const runner of this.runners) void runner.abandon();
    }, CANCEL_GRACE_MS);
    return this.done;
  }

  /**
   * Replaces series shares (matched by version and endpoint): see SeriesShare. Before the start the
   * plan itself changes. Open-model stages cannot be adjusted (UNSUPPORTED).
   */
  adjust(updates: readonly SeriesLoadInit[]): void {
    if (this.state === "done" || this.cancelReason !== null) {
      throw new ValidationError(ErrorCode.BadShard, `shard ${this.ctx.shardId} has already finished`);
    }
    const changes = updates.map((update) => {
      const index = this.plan.series.findIndex((s) => s.version === (update.version ?? "") && s.endpoint === (update.endpoint ?? ""));
      const current = this.plan.series[index];
      if (current === undefined) {
        throw new ValidationError(ErrorCode.BadShard, `shard ${this.ctx.shardId} has no series ${update.version ?? ""}/${update.endpoint ?? ""}`);
      }
      return { index, current, share: shareOf(update, current) };
    });
    const series = [...this.plan.series];
    for (const { index, current, share } of changes) {
      const runner = this.runners[index];
      if (runner) runner.adjust(share);
      series[index] = applyShare(current, share);
    }
    this.plan = { ...this.plan, series };
  }

  private begin(): void {
    if (this.state !== "scheduled") return;
    this.state = "running";
    const { plan, ctx } = this;
    this.startedAtMs = ctx.clock.nowMs();
    this.startPerfMs = performance.now();
    this.intervalStartMs = this.startedAtMs;
    try {
      for (const [i, series] of plan.series.entries()) {
        let client = this.preparedClients[i] ?? null;
        if (client === null) {
          client = ctx.clientFactory(series.request, this.clientOptions(series));
          this.clients.push(client);
        }
        const recorder = new SeriesRecorder(series.version, series.endpoint, series.model.kind === "open");
        this.recorders.push(recorder);
        this.reportedRequests.push(0);
        const options = { series, shard: plan, client, recorder };
        this.runners.push(series.model.kind === "open" ? new OpenLoad(options) : new ClosedLoad(options));
      }
      this.scheduleReport();
      for (const runner of this.runners) runner.start();
    } catch (error) {
      this.failure = toAssayError(error);
      ctx.logger.error({ err: error, shardId: ctx.shardId }, "shard failed to start");
      for (const runner of this.runners) runner.stop();
      void Promise.all(this.runners.map((r) => r.abandon())).then(() => this.finalize());
      return;
    }
    void Promise.all(this.runners.map((r) => r.finished)).then(() => this.finalize());
  }

  private scheduleReport(): void {
    const dueMs = this.startPerfMs + (this.seq + 1) * this.plan.reportIntervalMs;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = null;
      if (this.state !== "running") return;
      this.sendInterval();
      this.scheduleReport();
    }, Math.max(0, dueMs - performance.now()));
  }

  private sendInterval(): void {
    const { ctx } = this;
    const endMs = ctx.clock.nowMs();
    this.seq += 1;
    const series: SeriesStatsInit[] = this.recorders.map((recorder, i) => {
      const stats = recorder.takeInterval();
      this.reportedRequests[i] = (this.reportedRequests[i] ?? 0) + (stats.requests ?? 0);
      return stats;
    });
    const payload = pb.IntervalReport.encode({
      runId: ctx.runId,
      agentId: ctx.agentId,
      shardId: ctx.shardId,
      seq: this.seq,
      intervalStartMs: this.intervalStartMs,
      intervalEndMs: endMs,
      series,
    }).finish();
    this.intervalStartMs = endMs;
    this.enqueue(() => ctx.port.sendReport(payload), "report");
  }

  private enqueue(send: () => Promise<void>, what: string): void {
    this.sending = this.sending.then(send).catch((error: unknown) => {
      this.ctx.logger.warn({ err: error, shardId: this.ctx.shardId }, `sending the ${what} failed`);
    });
  }

  private finalize(): void {
    if (this.state === "done") return;
    const wasRunning = this.state === "running";
    this.state = "done";
    if (this.reportTimer) clearTimeout(this.reportTimer);
    if (this.abandonTimer) clearTimeout(this.abandonTimer);
    this.reportTimer = null;
    this.abandonTimer = null;
    const { ctx } = this;
    if (wasRunning) this.sendInterval();
    // The measured span of each series, moved from performance.now() to the agent's epoch clock.
    const perfToEpochMs = (perfMs: number): number => this.startedAtMs + (perfMs - this.startPerfMs);
    const totals = this.recorders.map((recorder) => {
      const stats = recorder.totalStats();
      const span = recorder.measuredSpan();
      return span ? { ...stats, measuredFromMs: perfToEpochMs(span.fromPerfMs), measuredUntilMs: perfToEpochMs(span.untilPerfMs) } : stats;
    });
    totals.forEach((t, i) => {
      if ((t.requests ?? 0) !== this.reportedRequests[i] && this.failure === null) {
        this.failure = new InternalError(
          ErrorCode.ConservationMismatch,
          `series ${t.version}/${t.endpoint}: intervals sum to ${this.reportedRequests[i]} requests, totals say ${t.requests}`,
        );
      }
    });
    const outcome: ShardOutcome = this.failure ? "failed" : this.cancelReason !== null ? "cancelled" : "completed";
    const payload = pb.ShardDone.encode({
      runId: ctx.runId,
      agentId: ctx.agentId,
      shardId: ctx.shardId,
      lastSeq: this.seq,
      totals,
      outcome,
      errorCode: this.failure?.code ?? "",
      errorMessage: this.failure?.message ?? (outcome === "cancelled" ? (this.cancelReason ?? "") : ""),
      startedAtMs: this.startedAtMs,
      finishedAtMs: ctx.clock.nowMs(),
      clockOffsetMs: ctx.clockOffsetMs(),
    }).finish();
    for (const recorder of this.recorders) recorder.destroy();
    this.enqueue(() => ctx.port.sendDone(payload), "shard done");
    void this.sending.then(() => this.resolveDone());
    for (const client of this.clients) {
      client.close().catch((error: unknown) => ctx.logger.debug({ err: error }, "closing the http client failed"));
    }
  }
}

function shareOf(update: SeriesLoadInit, current: SeriesPlan): SeriesShare {
  const model = update.model;
  let rateQps: number | null = null;
  if (model?.open) {
    if (current.model.kind !== "open") throw new ValidationError(ErrorCode.BadShard, "adjust cannot turn a closed-model series open");
    if ((model.open.stages ?? []).length > 0) throw new ValidationError(ErrorCode.Unsupported, "adjusting open-model stages is not supported; send a qps");
    rateQps = (model.open.qps ?? 0) > 0 ? (model.open.qps ?? 0) : null;
  } else if (model?.closed) {
    if (current.model.kind !== "closed") throw new ValidationError(ErrorCode.BadShard, "adjust cannot turn an open-model series closed");
    rateQps = model.closed.maxQps ?? 0;
  }
  return { numRequests: update.numRequests ?? 0, connections: update.connections ?? 0, rateQps };
}

function applyShare(current: SeriesPlan, share: SeriesShare): SeriesPlan {
  let model: ModelPlan = current.model;
  if (share.rateQps !== null) {
    model = current.model.kind === "open" ? { kind: "open", qps: share.rateQps, stages: [] } : { kind: "closed", maxQps: share.rateQps };
  }
  return {
    ...current,
    model,
    numRequests: share.numRequests > 0 && current.numRequests > 0 ? share.numRequests : current.numRequests,
    connections: share.connections > 0 ? share.connections : current.connections,
  };
}
