/**
 * The coordinator's side of the agent link over NATS (subject grammar: core/subjects.ts).
 *
 * - `assay.agent.hello` registers an agent (→ `joined`); `assay.agent.discover` asks every agent to
 *   re-send its Hello (on connect, on reconnect, and when a heartbeat comes from an unknown agent).
 * - Heartbeats are answered with the coordinator's clock, its owner id and the agent's runs it owns
 *   (claimRun): only the owner's replies keep a run's shards alive on the agent (the dead-man
 *   switch, agent/nats/heartbeat.ts). An agent whose last heartbeat is older than `lostAfterMs` (default 2500) is `lost`; the check runs every 250 ms, and is suspended while
 *   the coordinator's own connection is down (after a reconnect every agent gets a fresh window).
 * - A connection that stays down for `linkDownAfterMs` (default 5000), or closes, is `link-down`:
 *   runs in progress end with what they merged, and control messages fail at once until NATS is
 *   back (the connection keeps reconnecting; a NATS restart within the grace goes unnoticed).
 * - Control messages are NATS requests with a timeout.
 * - Reports and ShardDone messages are consumed from the JetStream stream with a durable consumer
 *   and explicit acks: an event's `ack()` acknowledges its message, after the merger merged it.
 * - Anything malformed on an agent subject is logged and dropped.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, DeliverPolicy, Events, RetentionPolicy, StorageType, connect, nanos } from "nats";
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg, KV, Msg, NatsConnection } from "nats";
import {
  ConfigurationError,
  ErrorCode,
  SUBJECTS,
  TransportError,
  agentIdOfSubject,
  closeNatsConnection,
  decodeMessage,
  runIdOfSubject,
  controlSubject,
  natsConnectionOptions,
  pb,
  runSubjects,
} from "../../core/index.js";
import type { AgentEvent, AgentEventHandler, AgentInfo, AgentLink, Logger, NatsAuth } from "../../core/index.js";

export interface NatsLinkOptions {
  /** One URL or several, comma-separated. */
  readonly natsUrl: string;
  readonly auth?: NatsAuth;
  readonly logger: Logger;
  /** Resolve only once this many agents joined (or throw after timeoutMs). */
  readonly waitForAgents?: { readonly count?: number; readonly timeoutMs: number };
  /** An agent whose last heartbeat is older than this is lost (default 2500 ms). */
  readonly lostAfterMs?: number;
  /** How often liveness is checked (default 250 ms). */
  readonly livenessCheckMs?: number;
  /** Disconnected from NATS for longer than this, the link is `link-down` (default 5000 ms). */
  readonly linkDownAfterMs?: number;
  /**
   * Name of the durable consumer on the reports stream. A coordinator restarted with the same name
   * gets the messages its predecessor had not acknowledged. Default: a fresh random name.
   */
  readonly durableName?: string;
  /** How long the stream keeps reports (default 24 h): a resumed run replays its reports from it. */
  readonly streamMaxAgeMs?: number;
  /** How long JetStream waits for an ack before redelivering (default 10000 ms). */
  readonly ackWaitMs?: number;
  /**
   * Who owns the runs started through this link, sent in every Assign and heartbeat reply; only
   * its replies keep those runs' shards alive. Default: the durable name (stable across a restart
   * with the same state, so a resumed run is kept alive by its new process).
   */
  readonly ownerId?: string;
}

interface TrackedAgent {
  info: AgentInfo;
  lastSeenMs: number;
}

const NO_ACK = (): void => undefined;

export class NatsAgentLink implements AgentLink {
  private readonly handlers = new Set<AgentEventHandler>();
  private readonly tracked = new Map<string, TrackedAgent>();
  private readonly lostAfterMs: number;
  private readonly log: Logger;
  private livenessTimer: NodeJS.Timeout | undefined;
  private messages: ConsumerMessages | undefined;
  private readonly replays = new Set<ConsumerMessages>();
  private linkUp = true;
  /** Why the link is down (disconnected beyond the grace, or closed); undefined while it is up. */
  private down: string | undefined;
  private downTimer: NodeJS.Timeout | undefined;
  private lastDiscoverMs = 0;
  private closed = false;
  private malformed = 0;
  /** Runs in progress on this link (claimRun), with how many claims each has. */
  private readonly claimed = new Map<string, number>();
  readonly ownerId: string;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly durableName: string,
    private readonly options: NatsLinkOptions,
  ) {
    this.lostAfterMs = options.lostAfterMs ?? 2500;
    this.ownerId = options.ownerId ?? durableName;
    this.log = options.logger.child({ component: "nats-link" });
  }

  /** Connects, ensures the stream, starts consuming; see connectNatsLink. */
  static async connect(options: NatsLinkOptions): Promise<NatsAgentLink> {
    let nc: NatsConnection;
    try {
      nc = await connect(await natsConnectionOptions(options.natsUrl, options.auth ?? {}, "assay-coordinator"));
    } catch (cause) {
      throw new TransportError(ErrorCode.LinkClosed, `cannot connect to NATS at ${options.natsUrl}: ${String(cause)}`, { cause });
    }
    try {
      const jsm = await nc.jetstreamManager({ timeout: 5000 });
      const link = new NatsAgentLink(nc, nc.jetstream(), jsm, options.durableName ?? `coordinator-${randomBytes(6).toString("hex")}`, options);
      await link.start();
      return link;
    } catch (error) {
      await closeNatsConnection(nc);
      if (error instanceof TransportError) throw error;
      throw new TransportError(ErrorCode.LinkClosed, `NATS at ${options.natsUrl} has no usable JetStream: ${String(error)}`, { cause: error });
    }
  }

  /** Malformed messages dropped so far (for tests and diagnostics). */
  get malformedMessages(): number {
    return this.malformed;
  }

  agents(): readonly AgentInfo[] {
    return [...this.tracked.values()].map((t) => t.info);
  }

  async control(agentId: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) throw new TransportError(ErrorCode.LinkClosed, "the NATS link is closed");
    if (this.down !== undefined) throw new TransportError(ErrorCode.LinkClosed, `agent ${agentId} is unreachable: ${this.down}`);
    try {
      const reply = await this.nc.request(controlSubject(agentId), payload, { timeout: timeoutMs });
      return reply.data;
    } catch (cause) {
      const text = String(cause);
      if (this.nc.isClosed()) throw new TransportError(ErrorCode.LinkClosed, "the NATS link is closed", { cause });
      const why = /503|no responders/i.test(text) ? "is not listening" : `did not answer within ${timeoutMs} ms`;
      throw new TransportError(ErrorCode.ControlTimeout, `agent ${agentId} ${why}`, { cause });
    }
  }

  claimRun(runId: string): () => void {
    this.claimed.set(runId, (this.claimed.get(runId) ?? 0) + 1);
    return once(() => {
      const left = (this.claimed.get(runId) ?? 1) - 1;
      if (left > 0) this.claimed.set(runId, left);
      else this.claimed.delete(runId);
    });
  }

  subscribe(handler: AgentEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /**
   * Delivers every report and ShardDone of one run stored in the stream, from its first message,
   * to `handler` (acks are no-ops), then keeps following the run until the returned function is
   * called. A coordinator that resumes a run uses it to rebuild its merge state; the merger
   * ignores reports it already has.
   */
  async replayRun(runId: string, handler: AgentEventHandler): Promise<() => void> {
    // An ephemeral consumer (no acks) from the stream's first message of the run; the server
    // removes it once it has been idle for a minute (e.g. after a crash).
    const info = await this.jsm.consumers.add(SUBJECTS.reportsStream, {
      filter_subject: runSubjects(runId),
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.None,
      inactive_threshold: nanos(60_000),
    });
    const consumer = await this.js.consumers.get(SUBJECTS.reportsStream, info.name);
    const messages = await consumer.consume({ max_messages: 1000, callback: (m) => this.deliverRunMessage(m, [handler], false) });
    this.replays.add(messages);
    return () => {
      this.replays.delete(messages);
      messages.stop();
      void this.jsm.consumers.delete(SUBJECTS.reportsStream, info.name).catch(() => undefined);
    };
  }

  /** The key-value bucket for run plans and results (created on first use). */
  async stateBucket(): Promise<KV> {
    return this.js.views.kv(SUBJECTS.stateBucket, { history: 1 });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.livenessTimer);
    for (const replay of this.replays) replay.stop();
    this.messages?.stop();
    await closeNatsConnection(this.nc, { connected: this.linkUp });
    this.declareDown("the agent link was closed");
  }

  private async start(): Promise<void> {
    await this.ensureStream();
    await this.ensureConsumer();
    this.nc.subscribe(SUBJECTS.hello, { callback: (_err, msg) => this.onHello(msg) });
    this.nc.subscribe(SUBJECTS.heartbeats, { callback: (_err, msg) => this.onHeartbeat(msg) });
    const consumer = await this.js.consumers.get(SUBJECTS.reportsStream, this.durableName);
    this.messages = await consumer.consume({ max_messages: 2000, callback: (m) => this.deliverRunMessage(m, this.handlers, true) });
    void this.watchStatus();
    void this.nc.closed().then((error) => this.declareDown(error ? `the NATS connection closed: ${error.message}` : "the NATS connection was closed"));
    this.livenessTimer = setInterval(() => this.checkLiveness(), this.options.livenessCheckMs ?? 250);
    this.livenessTimer.unref();
    await this.nc.flush();
    this.discover(true);
  }

  private async ensureStream(): Promise<void> {
    try {
      await this.jsm.streams.info(SUBJECTS.reportsStream);
    } catch {
      await this.jsm.streams.add({
        name: SUBJECTS.reportsStream,
        subjects: [SUBJECTS.runs],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        max_age: nanos(this.options.streamMaxAgeMs ?? 24 * 3600_000),
        duplicate_window: nanos(120_000),
      });
    }
  }

  private async ensureConsumer(): Promise<void> {
    try {
      await this.jsm.consumers.info(SUBJECTS.reportsStream, this.durableName);
      return;
    } catch {
      // not there yet
    }
    await this.jsm.consumers.add(SUBJECTS.reportsStream, {
      durable_name: this.durableName,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: SUBJECTS.runs,
      ack_wait: nanos(this.options.ackWaitMs ?? 10_000),
      max_ack_pending: 50_000,
      inactive_threshold: nanos(3600_000),
    });
  }

  private emit(event: AgentEvent, handlers: Iterable<AgentEventHandler> = this.handlers): void {
    for (const handler of handlers) {
      try {
        handler(event);
      } catch (error) {
        this.log.error({ err: error, event: event.type }, "agent event handler failed");
      }
    }
  }

  private dropMalformed(subject: string, error: unknown): void {
    this.malformed++;
    this.log.warn({ subject, err: error, code: ErrorCode.MalformedMessage }, "dropping a malformed message on an agent subject");
  }

  private onHello(msg: Msg): void {
    let hello;
    try {
      hello = decodeMessage(pb.Hello, "Hello", msg.data);
      if (!hello.agentId) throw new Error("Hello without agent id");
    } catch (error) {
      this.dropMalformed(msg.subject, error);
      return;
    }
    const info: AgentInfo = {
      id: hello.agentId,
      capacity: hello.capacity || 1,
      labels: { ...hello.labels },
      version: hello.version,
    };
    const known = this.tracked.get(info.id);
    this.tracked.set(info.id, { info, lastSeenMs: Date.now() });
    if (!known) {
      this.log.info({ agentId: info.id, capacity: info.capacity, labels: info.labels }, "agent joined");
      this.emit({ type: "joined", agent: info });
    }
  }

  private onHeartbeat(msg: Msg): void {
    const agentId = agentIdOfSubject(msg.subject);
    let heartbeat;
    try {
      heartbeat = decodeMessage(pb.Heartbeat, "Heartbeat", msg.data);
      if (heartbeat.agentId !== agentId) throw new Error(`heartbeat for ${heartbeat.agentId} on ${msg.subject}`);
    } catch (error) {
      this.dropMalformed(msg.subject, error);
      return;
    }
    if (msg.reply) {
      // Every coordinator answers (the clock); only the runs it owns are named, so only its own
      // runs are kept alive by its replies.
      const runIds = heartbeat.runIds.filter((runId) => this.claimed.has(runId));
      msg.respond(pb.HeartbeatReply.encode({ coordinatorTimeMs: Date.now(), ownerId: this.ownerId, runIds, agentSentAtMs: heartbeat.sentAtMs }).finish());
    }
    const tracked = this.tracked.get(heartbeat.agentId);
    if (tracked) tracked.lastSeenMs = Date.now();
    else this.discover(false);
  }

  private deliverRunMessage(m: JsMsg, handlers: Iterable<AgentEventHandler>, ackable: boolean): void {
    const kind = m.subject.slice(m.subject.lastIndexOf(".") + 1);
    const msgId = m.headers?.get("Nats-Msg-Id") ?? "";
    const agentId = msgId.slice(0, msgId.indexOf("/"));
    const ack = ackable ? once(() => m.ack()) : NO_ACK;
    if ((kind !== "report" && kind !== "done") || agentId === "") {
      this.dropMalformed(m.subject, new Error(`unexpected message (kind ${kind}, msg id "${msgId}")`));
      if (ackable) m.term();
      return;
    }
    const list = [...handlers];
    if (list.length === 0) {
      // Nobody is merging now: a run that resumes later replays the stream, so nothing is lost.
      ack();
      return;
    }
    const runId = runIdOfSubject(m.subject);
    const run = runId === undefined ? {} : { runId };
    this.emit(kind === "report" ? { type: "report", agentId, ...run, payload: m.data, ack } : { type: "done", agentId, ...run, payload: m.data, ack }, list);
  }

  private discover(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDiscoverMs < 1000) return;
    this.lastDiscoverMs = now;
    if (!this.nc.isClosed()) this.nc.publish(SUBJECTS.discover);
  }

  private checkLiveness(): void {
    if (!this.linkUp || this.closed) return;
    const now = Date.now();
    for (const [id, tracked] of this.tracked) {
      const silentMs = now - tracked.lastSeenMs;
      if (silentMs > this.lostAfterMs) {
        this.tracked.delete(id);
        this.log.warn({ agentId: id, silentMs }, "agent lost");
        this.emit({ type: "lost", agentId: id, reason: `no heartbeat for ${silentMs} ms` });
      }
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === Events.Disconnect) {
        this.linkUp = false;
        this.log.warn({ server: status.data }, "disconnected from NATS; agents' liveness is not judged until reconnected");
        this.expectReconnect();
      } else if (status.type === Events.Reconnect) {
        this.linkUp = true;
        clearTimeout(this.downTimer);
        this.downTimer = undefined;
        this.down = undefined;
        const now = Date.now();
        for (const tracked of this.tracked.values()) tracked.lastSeenMs = Math.max(tracked.lastSeenMs, now);
        this.log.info({ server: status.data }, "reconnected to NATS");
        this.discover(true);
      }
    }
  }

  /** Starts the grace after a disconnect: still down when it ends, the link is `link-down`. */
  private expectReconnect(): void {
    if (this.downTimer !== undefined || this.down !== undefined) return;
    const graceMs = this.options.linkDownAfterMs ?? 5000;
    this.downTimer = setTimeout(() => this.declareDown(`disconnected from NATS for more than ${graceMs} ms`), graceMs);
    this.downTimer.unref();
  }

  /** Tells the subscribers (runs in progress) that the agents are out of reach. */
  private declareDown(reason: string): void {
    clearTimeout(this.downTimer);
    this.downTimer = undefined;
    if (this.down !== undefined) return;
    this.down = reason;
    if (!this.closed) this.log.error({ reason }, "the agent link is down: runs in progress end with what they measured");
    this.emit({ type: "link-down", reason });
  }

  /** Resolves once `count` agents are registered; throws after `timeoutMs`. */
  async waitForAgents(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.tracked.size < count) {
      if (Date.now() > deadline) {
        throw new ConfigurationError(ErrorCode.NoAgents, `only ${this.tracked.size} of ${count} agents registered within ${timeoutMs} ms`, {
          suggestion: "start agents with `assay agent --nats URL` pointing at the same NATS server",
        });
      }
      await sleep(50);
    }
  }
}

function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}

/**
 * Connects the coordinator to NATS: ensures the reports stream and the durable consumer, starts
 * tracking agents, and (with `waitForAgents`) waits until enough agents have joined.
 */
export async function connectNatsLink(options: NatsLinkOptions): Promise<NatsAgentLink> {
  const link = await NatsAgentLink.connect(options);
  const wait = options.waitForAgents;
  if (wait) {
    try {
      if (wait.count !== undefined) await link.waitForAgents(wait.count, wait.timeoutMs);
      else {
        // No count: wait for the first agent, then until no new agent joined for a second.
        const deadline = Date.now() + wait.timeoutMs;
        let seen = -1;
        let stableSinceMs = Date.now();
        while (Date.now() < deadline) {
          const n = link.agents().length;
          if (n !== seen) {
            seen = n;
            stableSinceMs = Date.now();
          } else if (n > 0 && Date.now() - stableSinceMs >= 1000) break;
          await sleep(50);
        }
      }
    } catch (error) {
      await link.close();
      throw error;
    }
  }
  return link;
}
