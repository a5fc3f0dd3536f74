/**
 * The agent as a NATS service (subject grammar: core/subjects.ts): registers with Hello, serves its
 * control subject with the AgentRuntime, and publishes reports and ShardDone messages through
 * JetStream (a send resolves once the stream stored the message; it is retried, with the same
 * message id, until then). Heartbeats, the clock offset and the dead-man switch: heartbeat.ts.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { Events, connect } from "nats";
import type { JetStreamClient, NatsConnection } from "nats";
import {
  ErrorCode,
  SUBJECTS,
  TransportError,
  ValidationError,
  closeNatsConnection,
  controlSubject,
  doneSubject,
  isSubjectToken,
  natsConnectionOptions,
  pb,
  reportMessageId,
  reportSubject,
  retry,
  withDeadline,
} from "../../core/index.js";
import type { CoordinatorPort, IntervalReport, Logger, NatsAuth } from "../../core/index.js";
import { AgentRuntime } from "../runtime.js";
import type { HttpClientFactory } from "../shard.js";
import { AGENT_VERSION } from "../version.js";
import { CoordinatorWatch } from "./heartbeat.js";

export interface NatsAgentOptions {
  /** One URL or several, comma-separated. */
  readonly natsUrl: string;
  /** Default: `<hostname>-<random>`, made a valid subject token. */
  readonly agentId?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Relative share of load (default 1). */
  readonly capacity?: number;
  /** Stop a run's load when its coordinator (its owner) has not spoken for this long (default 10000). */
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
  /** Milliseconds since a coordinator that owns a run here (any, while idle) last spoke. */
  coordinatorSilentMs(): number;
  /** Current clock offset estimate (coordinator clock minus agent clock, ms). */
  clockOffsetMs(): number;
  /** Cancels every shard (their final reports are sent, up to `graceMs`), then drains the connection. */
  stop(reason?: string, graceMs?: number): Promise<void>;
  /** Resolves when the connection is closed. */
  readonly closed: Promise<void>;
}

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
  let nc: NatsConnection;
  try {
    nc = await connect(await natsConnectionOptions(options.natsUrl, options.auth ?? {}, `assay-agent-${agentId}`));
  } catch (cause) {
    throw new TransportError(ErrorCode.LinkClosed, `cannot connect to NATS at ${options.natsUrl}: ${String(cause)}`, { cause });
  }
  const runtime = new AgentRuntime({
    agentId,
    port: jetStreamPort(nc, agentId, log, options.onReportSent),
    logger: log,
    ...(options.clientFactory ? { clientFactory: options.clientFactory } : {}),
  });
  const watch = new CoordinatorWatch(nc, runtime, log, {
    agentId,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
    deadManMs: options.deadManMs ?? 10_000,
  });
  const hello = helloOf(agentId, options);
  const sayHello = (): void => {
    if (!nc.isClosed()) nc.publish(SUBJECTS.hello, hello);
  };
  const subscriptions = [
    nc.subscribe(controlSubject(agentId), {
      callback: (_err, msg) => {
        watch.heardControl(msg.data);
        void runtime.handleControl(msg.data).then((reply) => {
          if (msg.reply) msg.respond(reply);
        });
      },
    }),
    nc.subscribe(SUBJECTS.discover, { callback: () => sayHello() }),
  ];
  const status = followStatus(nc, log, sayHello);

  sayHello();
  await nc.flush();
  watch.start();
  log.info({ natsUrl: options.natsUrl, capacity: options.capacity ?? 1, labels: options.labels ?? {} }, "agent registered");

  const closed = nc.closed().then(() => watch.stop());
  let stopping: Promise<void> | undefined;
  return {
    agentId,
    runtime,
    connection: nc,
    deadManTrips: () => watch.deadManTrips(),
    coordinatorSilentMs: () => watch.silentMs(),
    clockOffsetMs: () => watch.clockOffsetMs(),
    closed,
    stop: (reason = "agent shutting down", graceMs = 5000) => {
      stopping ??= (async () => {
        watch.stop();
        for (const sub of subscriptions) sub.unsubscribe();
        await withDeadline(
          runtime.stopAll(reason).catch((error: unknown) => log.warn({ err: error }, "stopping shards failed")),
          graceMs,
        );
        await closeNatsConnection(nc, { connected: status.connected() });
        await closed;
      })();
      return stopping;
    },
  };
}

/** The agent's Hello: who it is, its capacity and labels. */
function helloOf(agentId: string, options: NatsAgentOptions): Uint8Array {
  return pb.Hello.encode({
    agentId,
    capacity: Math.max(1, Math.round(options.capacity ?? 1)),
    labels: { ...(options.labels ?? {}) },
    version: AGENT_VERSION,
    pid: process.pid,
    hostname: hostname(),
  }).finish();
}

/** Reports and ShardDone messages go to the run's subjects through JetStream. */
function jetStreamPort(nc: NatsConnection, agentId: string, log: Logger, onReportSent: ((report: IntervalReport) => void) | undefined): CoordinatorPort {
  const js = nc.jetstream({ timeout: 3000 });
  const isClosed = (): boolean => nc.isClosed();
  return {
    sendReport: async (payload) => {
      const report = pb.IntervalReport.decode(payload);
      await publishPersisted(js, reportSubject(report.runId), payload, reportMessageId(agentId, report.shardId, report.seq), log, isClosed);
      onReportSent?.(report);
    },
    sendDone: async (payload) => {
      const done = pb.ShardDone.decode(payload);
      await publishPersisted(js, doneSubject(done.runId), payload, reportMessageId(agentId, done.shardId, "done"), log, isClosed);
    },
  };
}

/** Follows the connection's status: registers again after a reconnect; knows whether it is connected. */
function followStatus(nc: NatsConnection, log: Logger, sayHello: () => void): { connected(): boolean } {
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
  return { connected: () => connected };
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
  try {
    await retry(() => js.publish(subject, payload, { msgID, timeout: 3000 }), {
      baseDelayMs: 100,
      maxDelayMs: 1000,
      jitter: false,
      shouldRetry: () => !isClosed(),
      onRetry: ({ error, attempt }) => {
        if (attempt === 1 || attempt % 10 === 0) log.warn({ err: error, msgID, attempt }, "publish to JetStream failed; retrying");
      },
    });
  } catch (error) {
    throw new TransportError(ErrorCode.LinkClosed, `could not publish ${msgID}: the NATS connection is closed`, { cause: error });
  }
}
