/**
 * Virtual agents for measuring the coordinator at scale (`assay agent --simulate N`): N agents on
 * one NATS connection that register, heartbeat, accept shards and send realistic synthetic
 * interval reports (HDR histograms of a few hundred distinct latency values) through JetStream,
 * without generating any HTTP load. A report's intervalEndMs is the moment it is published, so the
 * coordinator can measure merge lag as `merged at − intervalEndMs`.
 */
import { randomBytes } from "node:crypto";
import { Events, connect } from "nats";
import type { JetStreamClient, NatsConnection, Subscription } from "nats";
import {
  ErrorCode,
  SUBJECTS,
  TransportError,
  closeNatsConnection,
  controlSubject,
  createHistogram,
  doneSubject,
  encodeHistogram,
  heartbeatSubject,
  natsConnectionOptions,
  pb,
  recordMicros,
  reportMessageId,
  reportSubject,
} from "../../core/index.js";
import type { ControlReplyInit, Logger, NatsAuth, SeriesStatsInit, ShardSpec } from "../../core/index.js";
import { AGENT_VERSION } from "../version.js";
import { publishPersisted } from "./agent.js";

export interface SimulatedAgentsOptions {
  readonly natsUrl: string;
  readonly count: number;
  readonly auth?: NatsAuth;
  readonly logger: Logger;
  readonly labels?: Readonly<Record<string, string>>;
  /** Agent ids are `<idPrefix>-<n>`; default `sim-<random>`. */
  readonly idPrefix?: string;
  /** Requests per second a series reports when its shard gives no rate (default 200). */
  readonly defaultRateQps?: number;
  /** Distinct latency values per synthetic histogram (default 300). */
  readonly distinctValues?: number;
}

export interface SimulatedAgentsHandle {
  readonly agentIds: readonly string[];
  reportsSent(): number;
  stop(): Promise<void>;
  readonly closed: Promise<void>;
}

interface SimShard {
  readonly runId: string;
  readonly shardId: string;
  readonly spec: ShardSpec;
  seq: number;
  timer: NodeJS.Timeout | undefined;
  startedAtMs: number;
  lastTickMs: number;
  sentPerSeries: number[];
  readonly totals: SeriesStatsInit[];
  finished: boolean;
}

const POOL_SIZE = 32;

/** A pool of encoded histograms, each with about `distinct` distinct values (log-normal latencies). */
function histogramPool(distinct: number): { bytes: Uint8Array; count: number; sumUs: number; sumSqUs: number; minUs: number; maxUs: number }[] {
  return Array.from({ length: POOL_SIZE }, () => {
    const h = createHistogram();
    let sumUs = 0;
    let sumSqUs = 0;
    let minUs = Number.POSITIVE_INFINITY;
    let maxUs = 0;
    for (let i = 0; i < distinct; i++) {
      const u = Math.max(1e-9, Math.random());
      const v = Math.exp(Math.log(4000) + 0.9 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random()));
      const valueUs = Math.round(Math.min(5_000_000, v));
      recordMicros(h, valueUs);
      sumUs += valueUs;
      sumSqUs += valueUs * valueUs;
      minUs = Math.min(minUs, valueUs);
      maxUs = Math.max(maxUs, valueUs);
    }
    return { bytes: encodeHistogram(h), count: distinct, sumUs, sumSqUs, minUs, maxUs };
  });
}

export async function startSimulatedAgents(options: SimulatedAgentsOptions): Promise<SimulatedAgentsHandle> {
  const prefix = options.idPrefix ?? `sim-${randomBytes(3).toString("hex")}`;
  let nc: NatsConnection;
  try {
    nc = await connect(await natsConnectionOptions(options.natsUrl, options.auth ?? {}, `assay-sim-${prefix}`));
  } catch (cause) {
    throw new TransportError(ErrorCode.LinkClosed, `cannot connect to NATS at ${options.natsUrl}: ${String(cause)}`, { cause });
  }
  const fleet = new SimulatedFleet(nc, prefix, options);
  await fleet.register();
  return {
    agentIds: fleet.agentIds,
    reportsSent: () => fleet.reports,
    closed: nc.closed().then(() => undefined),
    stop: () => fleet.stop(),
  };
}

/** N virtual agents on one connection: their subscriptions, heartbeats and shards. */
class SimulatedFleet {
  readonly agentIds: readonly string[];
  reports = 0;
  private readonly log: Logger;
  private readonly pool: ReturnType<typeof histogramPool>;
  private readonly js: JetStreamClient;
  private readonly shards = new Map<string, SimShard>();
  private readonly subs: Subscription[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly hellos: Map<string, Uint8Array>;
  private stopping = false;
  private connected = true;

  constructor(
    private readonly nc: NatsConnection,
    readonly prefix: string,
    private readonly options: SimulatedAgentsOptions,
  ) {
    this.log = options.logger.child({ simulated: options.count });
    this.pool = histogramPool(options.distinctValues ?? 300);
    this.js = nc.jetstream({ timeout: 5000 });
    this.agentIds = Array.from({ length: options.count }, (_, i) => `${prefix}-${i}`);
    this.hellos = new Map(
      this.agentIds.map((id) => [id, pb.Hello.encode({ agentId: id, capacity: 1, labels: { ...(options.labels ?? {}) }, version: AGENT_VERSION, pid: process.pid, hostname: "simulated" }).finish()]),
    );
  }

  /** Subscribes every agent's control subject, spreads their heartbeats over the second, says hello. */
  async register(): Promise<void> {
    for (const [index, id] of this.agentIds.entries()) {
      this.subs.push(
        this.nc.subscribe(controlSubject(id), {
          callback: (_err, msg) => {
            void this.handleControl(id, msg.data)
              .catch((error: unknown): ControlReplyInit => ({ ok: false, errorCode: ErrorCode.MalformedMessage, errorMessage: String(error) }))
              .then((reply) => msg.respond(pb.ControlReply.encode(reply).finish()));
          },
        }),
      );
      this.timers.push(setTimeout(() => this.startHeartbeat(id), (index * 1000) / this.agentIds.length));
    }
    this.subs.push(this.nc.subscribe(SUBJECTS.discover, { callback: () => this.helloAll() }));
    void this.followStatus();
    this.helloAll();
    await this.nc.flush();
    this.log.info({ agents: this.agentIds.length, prefix: this.prefix }, "simulated agents registered");
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    for (const shard of this.shards.values()) clearInterval(shard.timer);
    for (const sub of this.subs) sub.unsubscribe();
    await closeNatsConnection(this.nc, { connected: this.connected });
  }

  private helloAll(): void {
    for (const bytes of this.hellos.values()) this.nc.publish(SUBJECTS.hello, bytes);
  }

  private startHeartbeat(id: string): void {
    const beat = (): void => {
      if (this.stopping) return;
      this.nc.request(heartbeatSubject(id), pb.Heartbeat.encode({ agentId: id, sentAtMs: Date.now() }).finish(), { timeout: 1000 }).catch(() => undefined);
    };
    beat();
    this.timers.push(setInterval(beat, 1000));
  }

  private async followStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === Events.Disconnect) this.connected = false;
      else if (status.type === Events.Reconnect) {
        this.connected = true;
        this.helloAll();
      }
    }
  }

  private async handleControl(agentId: string, data: Uint8Array): Promise<ControlReplyInit> {
    const control = pb.Control.decode(data);
    const key = (runId: string, shardId: string): string => `${agentId}\u0000${runId}\u0000${shardId}`;
    if (control.assign) {
      const spec = pb.ShardSpec.decode(pb.ShardSpec.encode(control.assign.shard ?? {}).finish());
      this.shards.set(key(control.assign.runId ?? "", control.assign.shardId ?? ""), newShard(control.assign.runId ?? "", control.assign.shardId ?? "", spec));
      return { ok: true };
    }
    if (control.start) {
      const shard = this.shards.get(key(control.start.runId ?? "", control.start.shardId ?? ""));
      if (!shard) return { ok: false, errorCode: ErrorCode.UnknownShard, errorMessage: "unknown shard" };
      this.timers.push(setTimeout(() => this.startShard(agentId, shard), Math.max(0, Number(control.start.startAtMs) - Date.now())));
      return { ok: true };
    }
    if (control.cancel) {
      const shard = this.shards.get(key(control.cancel.runId ?? "", control.cancel.shardId ?? ""));
      if (shard && !shard.finished) await this.sendReport(agentId, shard, true);
      return { ok: true };
    }
    if (control.timeProbe) return { ok: true, agentTimeMs: Date.now() };
    return { ok: false, errorCode: ErrorCode.Unsupported, errorMessage: "not supported by simulated agents" };
  }

  private startShard(agentId: string, shard: SimShard): void {
    shard.startedAtMs = Date.now();
    shard.lastTickMs = shard.startedAtMs;
    let sending = Promise.resolve();
    shard.timer = setInterval(() => {
      sending = sending.then(() => this.sendReport(agentId, shard, false)).catch((error: unknown) => this.log.warn({ err: error }, "simulated report failed"));
    }, shard.spec.reportIntervalMs || 1000);
  }

  private async sendReport(agentId: string, shard: SimShard, final: boolean): Promise<void> {
    const now = Date.now();
    const elapsedS = (now - shard.lastTickMs) / 1000;
    const series = shard.spec.series.map((load, i) => {
      const target = Number(load.numRequests);
      let n = Math.round(this.rateOf(shard.spec, i) * elapsedS);
      const sent = shard.sentPerSeries[i] ?? 0;
      if (target > 0) n = Math.min(n, target - sent);
      shard.sentPerSeries[i] = sent + n;
      const stats = this.statsFor(shard.spec, i, n);
      const total = shard.totals[i];
      if (total) {
        for (const key of ["requests", "errors", "bytesReceived", "bytesSent"] as const) total[key] = Number(total[key] ?? 0) + Number(stats[key] ?? 0);
      }
      return stats;
    });
    shard.seq += 1;
    const seq = shard.seq;
    const payload = pb.IntervalReport.encode({ runId: shard.runId, agentId, shardId: shard.shardId, seq, intervalStartMs: shard.lastTickMs, intervalEndMs: now, series }).finish();
    shard.lastTickMs = now;
    this.reports++;
    await publishPersisted(this.js, reportSubject(shard.runId), payload, reportMessageId(agentId, shard.shardId, seq), this.log, () => this.nc.isClosed());
    const durationMs = Number(shard.spec.durationMs);
    const countsReached = shard.spec.series.every((load, i) => Number(load.numRequests) > 0 && (shard.sentPerSeries[i] ?? 0) >= Number(load.numRequests));
    if (final || countsReached || (durationMs > 0 && now - shard.startedAtMs >= durationMs)) await this.finish(agentId, shard, final ? "cancelled" : "completed");
  }

  private async finish(agentId: string, shard: SimShard, outcome: string): Promise<void> {
    if (shard.finished) return;
    shard.finished = true;
    clearInterval(shard.timer);
    const done = pb.ShardDone.encode({
      runId: shard.runId,
      agentId,
      shardId: shard.shardId,
      lastSeq: shard.seq,
      totals: shard.totals,
      outcome,
      startedAtMs: shard.startedAtMs,
      finishedAtMs: Date.now(),
    }).finish();
    await publishPersisted(this.js, doneSubject(shard.runId), done, reportMessageId(agentId, shard.shardId, "done"), this.log, () => this.nc.isClosed());
  }

  private statsFor(spec: ShardSpec, index: number, requests: number): SeriesStatsInit {
    const series = spec.series[index];
    const h = this.pool[Math.floor(Math.random() * this.pool.length)] ?? this.pool[0];
    const errors = Math.floor(requests / 100);
    const scale = h && h.count > 0 ? requests / h.count : 0;
    return {
      version: series?.version ?? "default",
      endpoint: series?.endpoint ?? "",
      requests,
      errors,
      statusClasses: [0, requests - errors, 0, 0, errors],
      statusCodes: { 200: requests - errors, ...(errors > 0 ? { 500: errors } : {}) },
      bytesReceived: requests * 512,
      bytesSent: requests * 128,
      latencySumUs: (h?.sumUs ?? 0) * scale,
      latencySumSqUs: (h?.sumSqUs ?? 0) * scale,
      latencyMinUs: requests > 0 ? (h?.minUs ?? 0) : 0,
      latencyMaxUs: requests > 0 ? (h?.maxUs ?? 0) : 0,
      latencyHistogram: requests > 0 ? (h?.bytes ?? new Uint8Array(0)) : new Uint8Array(0),
    };
  }

  private rateOf(spec: ShardSpec, index: number): number {
    const model = spec.series[index]?.model;
    const qps = model?.open?.qps ?? model?.closed?.maxQps ?? 0;
    return qps > 0 ? qps : (this.options.defaultRateQps ?? 200);
  }
}

function newShard(runId: string, shardId: string, spec: ShardSpec): SimShard {
  return {
    runId,
    shardId,
    spec,
    seq: 0,
    timer: undefined,
    startedAtMs: 0,
    lastTickMs: 0,
    sentPerSeries: spec.series.map(() => 0),
    totals: spec.series.map((s): SeriesStatsInit => ({ version: s.version ?? "", endpoint: s.endpoint ?? "", requests: 0, errors: 0, bytesReceived: 0, bytesSent: 0 })),
    finished: false,
  };
}
