/**
 * Virtual agents for measuring the coordinator at scale (`assay agent --simulate N`): N agents on
 * one NATS connection that register, heartbeat, accept shards and send realistic synthetic
 * interval reports (HDR histograms of a few hundred distinct latency values) through JetStream,
 * without generating any HTTP load. A report's intervalEndMs is the moment it is published, so the
 * coordinator can measure merge lag as `merged at − intervalEndMs`.
 */
import { randomBytes } from "node:crypto";
import { Events, connect } from "nats";
import type { NatsConnection, Subscription } from "nats";
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
  const log = options.logger.child({ simulated: options.count });
  const pool = histogramPool(options.distinctValues ?? 300);
  let nc: NatsConnection;
  try {
    nc = await connect(await natsConnectionOptions(options.natsUrl, options.auth ?? {}, `assay-sim-${prefix}`));
  } catch (cause) {
    throw new TransportError(ErrorCode.LinkClosed, `cannot connect to NATS at ${options.natsUrl}: ${String(cause)}`, { cause });
  }
  const js = nc.jetstream({ timeout: 5000 });
  const agentIds = Array.from({ length: options.count }, (_, i) => `${prefix}-${i}`);
  const shards = new Map<string, SimShard>();
  const subs: Subscription[] = [];
  const timers: NodeJS.Timeout[] = [];
  let reports = 0;
  let stopping = false;

  const hellos = new Map(
    agentIds.map((id) => [id, pb.Hello.encode({ agentId: id, capacity: 1, labels: { ...(options.labels ?? {}) }, version: AGENT_VERSION, pid: process.pid, hostname: "simulated" }).finish()]),
  );
  const helloAll = (): void => {
    for (const bytes of hellos.values()) nc.publish(SUBJECTS.hello, bytes);
  };

  const statsFor = (spec: ShardSpec, index: number, requests: number): SeriesStatsInit => {
    const series = spec.series[index];
    const h = pool[Math.floor(Math.random() * pool.length)] ?? pool[0];
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
  };

  const rateOf = (spec: ShardSpec, index: number): number => {
    const model = spec.series[index]?.model;
    const qps = model?.open?.qps ?? model?.closed?.maxQps ?? 0;
    return qps > 0 ? qps : (options.defaultRateQps ?? 200);
  };

  const sendReport = async (agentId: string, shard: SimShard, final: boolean): Promise<void> => {
    const now = Date.now();
    const elapsedS = (now - shard.lastTickMs) / 1000;
    const series = shard.spec.series.map((load, i) => {
      const target = Number(load.numRequests);
      let n = Math.round(rateOf(shard.spec, i) * elapsedS);
      const sent = shard.sentPerSeries[i] ?? 0;
      if (target > 0) n = Math.min(n, target - sent);
      shard.sentPerSeries[i] = sent + n;
      const stats = statsFor(shard.spec, i, n);
      const total = shard.totals[i];
      if (total) {
        for (const key of ["requests", "errors", "bytesReceived", "bytesSent"] as const) total[key] = Number(total[key] ?? 0) + Number(stats[key] ?? 0);
      }
      return stats;
    });
    shard.seq += 1;
    const seq = shard.seq;
    const payload = pb.IntervalReport.encode({
      runId: shard.runId,
      agentId,
      shardId: shard.shardId,
      seq,
      intervalStartMs: shard.lastTickMs,
      intervalEndMs: now,
      series,
    }).finish();
    shard.lastTickMs = now;
    reports++;
    await publishPersisted(js, reportSubject(shard.runId), payload, reportMessageId(agentId, shard.shardId, seq), log, () => nc.isClosed());
    const durationMs = Number(shard.spec.durationMs);
    const countsReached = shard.spec.series.every((load, i) => Number(load.numRequests) > 0 && (shard.sentPerSeries[i] ?? 0) >= Number(load.numRequests));
    if (final || countsReached || (durationMs > 0 && now - shard.startedAtMs >= durationMs)) await finish(agentId, shard, final ? "cancelled" : "completed");
  };

  const finish = async (agentId: string, shard: SimShard, outcome: string): Promise<void> => {
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
    await publishPersisted(js, doneSubject(shard.runId), done, reportMessageId(agentId, shard.shardId, "done"), log, () => nc.isClosed());
  };

  const handleControl = async (agentId: string, data: Uint8Array): Promise<ControlReplyInit> => {
    const control = pb.Control.decode(data);
    const key = (runId: string, shardId: string): string => `${agentId}\u0000${runId}\u0000${shardId}`;
    if (control.assign) {
      const runId = control.assign.runId ?? "";
      const shardId = control.assign.shardId ?? "";
      const spec = pb.ShardSpec.decode(pb.ShardSpec.encode(control.assign.shard ?? {}).finish());
      shards.set(key(runId, shardId), {
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
      });
      return { ok: true };
    }
    if (control.start) {
      const shard = shards.get(key(control.start.runId ?? "", control.start.shardId ?? ""));
      if (!shard) return { ok: false, errorCode: ErrorCode.UnknownShard, errorMessage: "unknown shard" };
      const delayMs = Math.max(0, Number(control.start.startAtMs) - Date.now());
      const intervalMs = shard.spec.reportIntervalMs || 1000;
      setTimeout(() => {
        shard.startedAtMs = Date.now();
        shard.lastTickMs = shard.startedAtMs;
        let sending = Promise.resolve();
        shard.timer = setInterval(() => {
          sending = sending.then(() => sendReport(agentId, shard, false)).catch((error: unknown) => log.warn({ err: error }, "simulated report failed"));
        }, intervalMs);
      }, delayMs);
      return { ok: true };
    }
    if (control.cancel) {
      const shard = shards.get(key(control.cancel.runId ?? "", control.cancel.shardId ?? ""));
      if (shard && !shard.finished) await sendReport(agentId, shard, true);
      return { ok: true };
    }
    if (control.timeProbe) return { ok: true, agentTimeMs: Date.now() };
    return { ok: false, errorCode: ErrorCode.Unsupported, errorMessage: "not supported by simulated agents" };
  };

  for (const [index, id] of agentIds.entries()) {
    subs.push(
      nc.subscribe(controlSubject(id), {
        callback: (_err, msg) => {
          void handleControl(id, msg.data)
            .catch((error: unknown) => ({ ok: false, errorCode: ErrorCode.MalformedMessage, errorMessage: String(error) }))
            .then((reply) => msg.respond(pb.ControlReply.encode(reply).finish()));
        },
      }),
    );
    // Spread heartbeats over the second.
    const startTimer = setTimeout(() => {
      const beat = (): void => {
        if (stopping) return;
        nc.request(heartbeatSubject(id), pb.Heartbeat.encode({ agentId: id, sentAtMs: Date.now() }).finish(), { timeout: 1000 }).catch(() => undefined);
      };
      beat();
      timers.push(setInterval(beat, 1000));
    }, (index * 1000) / agentIds.length);
    timers.push(startTimer);
  }
  subs.push(nc.subscribe(SUBJECTS.discover, { callback: () => helloAll() }));
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === Events.Disconnect) connected = false;
      else if (status.type === Events.Reconnect) {
        connected = true;
        helloAll();
      }
    }
  })();
  helloAll();
  await nc.flush();
  log.info({ agents: agentIds.length, prefix }, "simulated agents registered");

  const closed = nc.closed().then(() => undefined);
  return {
    agentIds,
    reportsSent: () => reports,
    closed,
    stop: async () => {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      for (const shard of shards.values()) clearInterval(shard.timer);
      for (const sub of subs) sub.unsubscribe();
      await closeNatsConnection(nc, { connected });
    },
  };
}
