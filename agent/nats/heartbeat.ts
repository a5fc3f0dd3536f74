/**
 * How a NATS agent keeps in touch with the coordinators that own its runs: a heartbeat every second,
 * published with the agent's own reply inbox so that every coordinator's reply arrives (a NATS
 * request would keep only the first), and the dead-man switch.
 *
 * Each reply carries the answering coordinator's owner id and the runs it owns among those the
 * heartbeat named. A run's shards are kept alive only by word from the run's owner (the owner id of
 * its Assign): a reply from that owner naming the run, or a control message about the run. When a
 * run's owner has been silent for `deadManMs`, the agent stops that run's shards by itself, even
 * while other coordinators (an idle `assay coordinator` on the same NATS) keep answering.
 *
 * The clock offset (coordinator clock minus agent clock) is estimated from the round trips of the
 * replies that count (any reply while the agent runs nothing): the sample with the shortest round
 * trip of the last ten wins.
 */
import { createInbox } from "nats";
import type { NatsConnection, Subscription } from "nats";
import { ErrorCode, decodeMessage, heartbeatSubject, pb } from "../../core/index.js";
import type { Logger } from "../../core/index.js";
import type { AgentRuntime } from "../runtime.js";

export interface CoordinatorWatchOptions {
  readonly agentId: string;
  readonly heartbeatIntervalMs: number;
  readonly deadManMs: number;
}

interface OffsetSample {
  rttMs: number;
  offsetMs: number;
}

const OFFSET_SAMPLES = 10;

/** The run a Control message is about, or undefined (a TimeProbe, or bytes that do not decode). */
export function runIdOfControl(payload: Uint8Array): string | undefined {
  try {
    const control = pb.Control.decode(payload);
    const runId = (control.assign ?? control.start ?? control.cancel ?? control.adjust)?.runId;
    return runId === "" || runId === null ? undefined : runId;
  } catch {
    return undefined;
  }
}

export class CoordinatorWatch {
  /** Last word that counted: from a run's owner, or any reply while no run is in progress. */
  private lastWordMs = Date.now();
  /** Per run in progress: when its owner last spoke. */
  private readonly runHeardMs = new Map<string, number>();
  /** Runs the switch stopped (their shards are finishing). */
  private readonly tripped = new Set<string>();
  private trips = 0;
  private offset = 0;
  private ignoredReplies = 0;
  private readonly samples: OffsetSample[] = [];
  private timers: NodeJS.Timeout[] = [];
  private inbox: Subscription | undefined;
  private readonly inboxSubject = createInbox();

  constructor(
    private readonly nc: NatsConnection,
    private readonly runtime: AgentRuntime,
    private readonly log: Logger,
    private readonly options: CoordinatorWatchOptions,
  ) {}

  /** Starts the heartbeats (the first one now) and the dead-man check. */
  start(): void {
    this.inbox = this.nc.subscribe(this.inboxSubject, { callback: (_err, msg) => this.onReply(msg.data) });
    const heartbeat = setInterval(() => this.beat(), this.options.heartbeatIntervalMs);
    const deadMan = setInterval(() => this.checkDeadMan(), Math.min(250, this.options.deadManMs));
    heartbeat.unref();
    deadMan.unref();
    this.timers = [heartbeat, deadMan];
    this.beat();
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.inbox?.unsubscribe();
    this.inbox = undefined;
  }

  /** A control message arrived: it is word from the coordinator about the run it names. */
  heardControl(payload: Uint8Array): void {
    const runId = runIdOfControl(payload);
    const now = Date.now();
    this.lastWordMs = now;
    if (runId !== undefined) this.runHeardMs.set(runId, now);
  }

  /** Times the dead-man switch stopped a run's load. */
  deadManTrips(): number {
    return this.trips;
  }

  /** Heartbeat replies that kept nothing alive (another coordinator's, or malformed). */
  ignoredHeartbeatReplies(): number {
    return this.ignoredReplies;
  }

  /** Milliseconds since word that counted last came (see lastWordMs). */
  silentMs(): number {
    return Date.now() - this.lastWordMs;
  }

  /** Coordinator clock minus agent clock (ms), as last estimated. */
  clockOffsetMs(): number {
    return this.offset;
  }

  private beat(): void {
    if (this.nc.isClosed() || this.inbox === undefined) return;
    const payload = pb.Heartbeat.encode({ agentId: this.options.agentId, sentAtMs: Date.now(), runIds: this.runtime.runIds() }).finish();
    try {
      this.nc.publish(heartbeatSubject(this.options.agentId), payload, { reply: this.inboxSubject });
    } catch (error) {
      this.log.debug({ err: error }, "heartbeat not sent");
    }
  }

  /** One coordinator's reply: counts for the runs it owns; the clock only from replies that count. */
  private onReply(data: Uint8Array): void {
    const receivedMs = Date.now();
    let reply;
    try {
      reply = decodeMessage(pb.HeartbeatReply, "HeartbeatReply", data);
    } catch (error) {
      this.ignoredReplies++;
      this.log.debug({ err: error, code: ErrorCode.MalformedMessage }, "malformed heartbeat reply ignored");
      return;
    }
    let counted = this.runtime.runIds().length === 0;
    for (const runId of reply.runIds) {
      const owner = this.runtime.ownerOf(runId);
      if (owner !== undefined && (owner === "" || owner === reply.ownerId)) {
        this.runHeardMs.set(runId, receivedMs);
        counted = true;
      }
    }
    if (!counted) {
      this.ignoredReplies++;
      return;
    }
    this.lastWordMs = receivedMs;
    const sentMs = Number(reply.agentSentAtMs);
    const rttMs = receivedMs - sentMs;
    if (sentMs <= 0 || rttMs < 0 || rttMs > 60_000) return;
    this.samples.push({ rttMs, offsetMs: Number(reply.coordinatorTimeMs) - (sentMs + receivedMs) / 2 });
    if (this.samples.length > OFFSET_SAMPLES) this.samples.shift();
    const best = this.samples.reduce((a, b) => (b.rttMs < a.rttMs ? b : a));
    this.offset = best.offsetMs;
    this.runtime.setClockOffsetMs(this.offset);
  }

  private checkDeadMan(): void {
    const now = Date.now();
    const active = new Set(this.runtime.runIds());
    for (const runId of active) {
      if (this.tripped.has(runId)) continue;
      const heardMs = this.runHeardMs.get(runId);
      if (heardMs === undefined) {
        this.runHeardMs.set(runId, now);
        continue;
      }
      const silentMs = now - heardMs;
      if (silentMs > this.options.deadManMs) this.trip(runId, silentMs);
    }
    for (const runId of this.runHeardMs.keys()) {
      if (!active.has(runId) && now - (this.runHeardMs.get(runId) ?? now) > 2 * this.options.deadManMs) this.runHeardMs.delete(runId);
    }
    for (const runId of this.tripped) if (!active.has(runId)) this.tripped.delete(runId);
  }

  private trip(runId: string, silentMs: number): void {
    this.tripped.add(runId);
    this.trips++;
    const owner = this.runtime.ownerOf(runId) ?? "";
    this.log.warn({ runId, owner, silentMs, deadManMs: this.options.deadManMs }, "dead-man switch: no word from the run's coordinator; stopping its load");
    void this.runtime
      .stopRun(runId, `dead-man switch: coordinator ${owner || "(unnamed)"} silent for ${silentMs} ms`)
      .catch((error: unknown) => this.log.error({ err: error, runId }, "stopping load failed"));
  }
}
