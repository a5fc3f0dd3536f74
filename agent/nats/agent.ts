/**
 * The agent as a NATS service (subject grammar: core/subjects.ts): registers with Hello, heartbeats
 * every second as a request the coordinator answers (the round trips also estimate the clock
 * offset), serves its control subject with the AgentRuntime, and publishes reports and ShardDone
 * messages through JetStream (a send resolves once the stream stored the message; it is retried,
 * with the same message id, until then). Dead-man switch: when no heartbeat reply came for
 * `deadManMs`, the agent stops all its load by itself.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { Events, connect } from "nats";
import type { JetStreamClient, NatsConnection, Subscription } from "nats";
import {
  ErrorCode,
  SUBJECTS,
  TransportError,
  ValidationError,
  closeNatsConnection,
  controlSubject,
  doneSubject,
  heartbeatSubject,
  isSubjectToken,
  natsConnectionOptions,
  pb,
  reportMessageId,
  reportSubject,
} from "../../core/index.js";
import type { CoordinatorPort, IntervalReport, Logger, NatsAuth } from "../../core/index.js";
import { AgentRuntime } from "../runtime.js";
import type { HttpClientFactory } from "../shard.js";
import { AGENT_VERSION } from "../version.js";

export interface NatsAgentOptions {
  /** One URL or several, comma-separated. */
  readonly natsUrl: string;
  /** Default: `<hostname>-<random>`, made a valid subject token. */
  readonly agentId?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Relative share of load (default 1). */
  readonly capacity?: number;
  /** Stop all load when the coordinator has not answered a heartbeat for this long (default 10000). */
  readonly deadManMs?: number;
  /** Default 1000. */
  readonly heartbeatIntervalMs?: number;
  readonly auth?: NatsAuth;
  readonly logger: Logger;
  /** HTTP client per series (tests, benches); default undici. */
  readonly clientFactory?: HttpClientFactory;
  /** Called after each interval report was persisted (ops metrics count requests from it). */
  readonly onReportSent?: (report: IntervalReport) => void;
}

export interface NatsAgentHandle {
  readonly agentId: string;
  readonly runtime: AgentRuntime;
  readonly connection: NatsConnection;
  /** Times the dead-man switch stopped the load. */
  deadManTrips(): number;
  /** Milliseconds since the coordinator last answered (a heartbeat or a control message). */
  coordinatorSilentMs(): number;
  /** Current clock offset estimate (coordinator clock minus agent clock, ms). */
  clockOffsetMs(): number;
  /** Cancels every shard (their final reports are sent, up to `graceMs`), then drains the connection. */
  stop(reason?: string, graceMs?: number): Promise<void>;
  /** Resolves when the connection is closed. */
  readonly closed: Promise<void>;
}

interface OffsetSample {
  rttMs: number;
  offsetMs: number;
}

const OFFSET_SAMPLES = 10;

export function defaultAgentId(): string {
  const host = hostname().replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 40) || "agent";
  return `${host}-${randomBytes(3).toString("hex")}`;
}

export async function startNatsAgent(options: NatsAgentOptions): Promise<NatsAgentHandle> {
  const agentId = options.agentId ?? defaultAgentId();
  if (!isSubjectToken(agentId)) {
    throw new ValidationError(ErrorCode.BadFlag, `agent id "${agentId}" may only contain letters, digits, "-" and "_"`, { field: "--name" });
  }
  const log = options.logger.child({ agentId });
  const deadManMs = options.deadManMs ?? 10_000;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1000;

  let nc: NatsConnection;
  try {
    nc = await connect(await natsConnectionOptions(options.natsUrl, options.auth ?? {}, `assay-agent-${agentId}`));
  } catch (cause) {
    throw new TransportError(ErrorCode.LinkClosed, `cannot connect to NATS at ${options.natsUrl}: ${String(cause)}`, { cause });
  }
  const js = nc.jetstream({ timeout: 3000 });
  let stopping = false;

  const port: CoordinatorPort = {
    sendReport: async (payload) => {
      const report = pb.IntervalReport.decode(payload);
      await publishPersisted(js, reportSubject(report.runId), payload, reportMessageId(agentId, report.shardId, report.seq), log, () => nc.isClosed());
      options.onReportSent?.(report);
    },
    sendDone: async (payload) => {
      const done = pb.ShardDone.decode(payload);
      await publishPersisted(js, doneSubject(done.runId), payload, reportMessageId(agentId, done.shardId, "done"), log, () => nc.isClosed());
    },
  };
  const runtime = new AgentRuntime({
    agentId,
    port,
    logger: log,
    ...(options.clientFactory ? { clientFactory: options.clientFactory } : {}),
  });

  const hello = pb.Hello.encode({
    agentId,
    capacity: Math.max(1, Math.round(options.capacity ?? 1)),
    labels: { ...(options.labels ?? {}) },
    version: AGENT_VERSION,
    pid: process.pid,
    hostname: hostname(),
  }).finish();
  const sayHello = (): void => {
    if (!nc.isClosed()) nc.publish(SUBJECTS.hello, hello);
  };

  let lastReplyMs = Date.now();
  let tripped = false;
  const subscriptions: Subscription[] = [];
  subscriptions.push(
    nc.subscribe(controlSubject(agentId), {
      callback: (_err, msg) => {
        // A control message is word from the coordinator as good as a heartbeat reply.
        lastReplyMs = Date.now();
        tripped = false;
        void runtime.handleControl(msg.data).then((reply) => {
          if (msg.reply) msg.respond(reply);
        });
      },
    }),
    nc.subscribe(SUBJECTS.discover, { callback: () => sayHello() }),
  );

  // Heartbeats, clock offset, dead-man switch.
  let trips = 0;
  let inFlight = false;
  let offsetMs = 0;
  const samples: OffsetSample[] = [];
  const beat = async (): Promise<void> => {
    if (inFlight || nc.isClosed()) return;
    inFlight = true;
    const sentMs = Date.now();
    try {
      const payload = pb.Heartbeat.encode({ agentId, sentAtMs: sentMs, runIds: runtime.runIds() }).finish();
      const reply = await nc.request(heartbeatSubject(agentId), payload, { timeout: Math.max(500, heartbeatIntervalMs) });
      const receivedMs = Date.now();
      const { coordinatorTimeMs } = pb.HeartbeatReply.decode(reply.data);
      lastReplyMs = receivedMs;
      tripped = false;
      samples.push({ rttMs: receivedMs - sentMs, offsetMs: Number(coordinatorTimeMs) - (sentMs + receivedMs) / 2 });
      if (samples.length > OFFSET_SAMPLES) samples.shift();
      const best = samples.reduce((a, b) => (b.rttMs < a.rttMs ? b : a));
      offsetMs = best.offsetMs;
      runtime.setClockOffsetMs(offsetMs);
    } catch (error) {
      log.debug({ err: error }, "heartbeat not answered");
    } finally {
      inFlight = false;
    }
  };
  const heartbeatTimer = setInterval(() => void beat(), heartbeatIntervalMs);
  const deadManTimer = setInterval(() => {
    if (tripped || stopping) return;
    const silentMs = Date.now() - lastReplyMs;
    if (silentMs > deadManMs && runtime.runIds().length > 0) {
      tripped = true;
      trips++;
      log.warn({ silentMs, deadManMs }, "dead-man switch: no word from the coordinator; stopping all load");
      void runtime.stopAll(`dead-man switch: coordinator silent for ${silentMs} ms`).catch((error: unknown) => log.error({ err: error }, "stopping load failed"));
    }
  }, Math.min(250, deadManMs));

  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === Events.Reconnect) {
        connected = true;
        log.info({ server: status.data }, "reconnected to NATS; registering again");
        sayHello();
      } else if (status.type === Events.Disconnect) {
        connected = false;
        log.warn({ server: status.data }, "disconnected from NATS");
      }
    }
  })();

  sayHello();
  await nc.flush();
  void beat();
  log.info({ natsUrl: options.natsUrl, capacity: options.capacity ?? 1, labels: options.labels ?? {} }, "agent registered");

  const closed = nc.closed().then(() => {
    clearInterval(heartbeatTimer);
    clearInterval(deadManTimer);
  });

  return {
    agentId,
    runtime,
    connection: nc,
    deadManTrips: () => trips,
    coordinatorSilentMs: () => Date.now() - lastReplyMs,
    clockOffsetMs: () => offsetMs,
    closed,
    stop: async (reason = "agent shutting down", graceMs = 5000) => {
      if (stopping) return closed;
      stopping = true;
      clearInterval(heartbeatTimer);
      clearInterval(deadManTimer);
      for (const sub of subscriptions) sub.unsubscribe();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        runtime.stopAll(reason).catch((error: unknown) => log.warn({ err: error }, "stopping shards failed")),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      await closeNatsConnection(nc, { connected });
      await closed;
    },
  };
}

/**
 * Publishes to JetStream and resolves once the stream stored the message. Retries (same message
 * id, so the stream stores it once) through disconnects and a missing stream, until the
 * connection is closed.
 */
export async function publishPersisted(
  js: JetStreamClient,
  subject: string,
  payload: Uint8Array,
  msgID: string,
  log: Logger,
  isClosed: () => boolean,
): Promise<void> {
  let delayMs = 100;
  for (let attempt = 1; ; attempt++) {
    try {
      await js.publish(subject, payload, { msgID, timeout: 3000 });
      return;
    } catch (error) {
      if (isClosed()) throw new TransportError(ErrorCode.LinkClosed, `could not publish ${msgID}: the NATS connection is closed`, { cause: error });
      if (attempt === 1 || attempt % 10 === 0) log.warn({ err: error, msgID, attempt }, "publish to JetStream failed; retrying");
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(1000, delayMs * 2);
    }
  }
}
