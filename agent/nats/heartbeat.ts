/**
 * How a NATS agent keeps in touch with its coordinator: a heartbeat every second as a request the
 * coordinator answers with its clock (the round trips estimate the clock offset: the sample with
 * the shortest round trip of the last ten wins), and the dead-man switch: when no word came from
 * the coordinator for `deadManMs` while shards run, the agent stops all its load by itself.
 */
import type { NatsConnection } from "nats";
import { heartbeatSubject, pb } from "../../core/index.js";
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

export class CoordinatorWatch {
  private lastReplyMs = Date.now();
  private tripped = false;
  private trips = 0;
  private inFlight = false;
  private offset = 0;
  private readonly samples: OffsetSample[] = [];
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly runtime: AgentRuntime,
    private readonly log: Logger,
    private readonly options: CoordinatorWatchOptions,
  ) {}

  /** Starts the heartbeats (the first one now) and the dead-man check. */
  start(): void {
    const heartbeat = setInterval(() => void this.beat(), this.options.heartbeatIntervalMs);
    const deadMan = setInterval(() => this.checkDeadMan(), Math.min(250, this.options.deadManMs));
    heartbeat.unref();
    deadMan.unref();
    this.timers = [heartbeat, deadMan];
    void this.beat();
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  /** Word from the coordinator other than a heartbeat reply (a control message) counts as much. */
  heard(): void {
    this.lastReplyMs = Date.now();
    this.tripped = false;
  }

  /** Times the dead-man switch stopped the load. */
  deadManTrips(): number {
    return this.trips;
  }

  /** Milliseconds since the coordinator last answered. */
  silentMs(): number {
    return Date.now() - this.lastReplyMs;
  }

  /** Coordinator clock minus agent clock (ms), as last estimated. */
  clockOffsetMs(): number {
    return this.offset;
  }

  private async beat(): Promise<void> {
    if (this.inFlight || this.nc.isClosed()) return;
    this.inFlight = true;
    const sentMs = Date.now();
    try {
      const payload = pb.Heartbeat.encode({ agentId: this.options.agentId, sentAtMs: sentMs, runIds: this.runtime.runIds() }).finish();
      const reply = await this.nc.request(heartbeatSubject(this.options.agentId), payload, { timeout: Math.max(500, this.options.heartbeatIntervalMs) });
      const receivedMs = Date.now();
      const { coordinatorTimeMs } = pb.HeartbeatReply.decode(reply.data);
      this.heard();
      this.samples.push({ rttMs: receivedMs - sentMs, offsetMs: Number(coordinatorTimeMs) - (sentMs + receivedMs) / 2 });
      if (this.samples.length > OFFSET_SAMPLES) this.samples.shift();
      const best = this.samples.reduce((a, b) => (b.rttMs < a.rttMs ? b : a));
      this.offset = best.offsetMs;
      this.runtime.setClockOffsetMs(this.offset);
    } catch (error) {
      this.log.debug({ err: error }, "heartbeat not answered");
    } finally {
      this.inFlight = false;
    }
  }

  private checkDeadMan(): void {
    if (this.tripped) return;
    const silentMs = this.silentMs();
    if (silentMs > this.options.deadManMs && this.runtime.runIds().length > 0) {
      this.tripped = true;
      this.trips++;
      this.log.warn({ silentMs, deadManMs: this.options.deadManMs }, "dead-man switch: no word from the coordinator; stopping all load");
      void this.runtime.stopAll(`dead-man switch: coordinator silent for ${silentMs} ms`).catch((error: unknown) => this.log.error({ err: error }, "stopping load failed"));
    }
  }
}
