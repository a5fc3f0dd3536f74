/**
 * The transport-independent agent: handles encoded Control messages, runs shards, and pushes
 * reports through a CoordinatorPort. The worker-thread host (agent/local) and the NATS agent wrap
 * the same runtime.
 */
import { ErrorCode, TransportError, ValidationError, decodeMessage, isAssayError, pb, toAssayError, withDeadline } from "../core/index.js";
import type { ControlInit, ControlReplyInit, CoordinatorPort, Logger } from "../core/index.js";
import { compileShard } from "./engine/plan.js";
import { createHttpClient } from "./engine/choose-client.js";
import { ShardRun, systemClock } from "./shard.js";
import type { Clock, HttpClientFactory } from "./shard.js";

export interface AgentRuntimeOptions {
  readonly agentId: string;
  /** Where reports and ShardDone messages go. */
  readonly port: CoordinatorPort;
  readonly logger: Logger;
  /** The agent's wall clock; default Date.now. */
  readonly clock?: Clock;
  /** HTTP client per series; default `createHttpClient` (raw-socket fast path, undici otherwise). */
  readonly clientFactory?: HttpClientFactory;
}

/** How long a Cancel reply waits for the shard's ShardDone to be sent. */
const CANCEL_REPLY_WAIT_MS = 2000;

type AssignInit = NonNullable<ControlInit["assign"]>;
type StartInit = NonNullable<ControlInit["start"]>;
type CancelInit = NonNullable<ControlInit["cancel"]>;
type AdjustInit = NonNullable<ControlInit["adjust"]>;

function shardKey(runId: string, shardId: string): string {
  return `${runId}\u0000${shardId}`;
}

export class AgentRuntime {
  readonly agentId: string;
  private readonly port: CoordinatorPort;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly clientFactory: HttpClientFactory;
  private readonly shards = new Map<string, { runId: string; ownerId: string; run: ShardRun }>();
  private clockOffsetMs = 0;

  constructor(options: AgentRuntimeOptions) {
    this.agentId = options.agentId;
    this.port = options.port;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.clientFactory = options.clientFactory ?? createHttpClient;
  }

  /** Coordinator clock minus agent clock, as estimated from TimeProbe round trips (0 locally). */
  setClockOffsetMs(offsetMs: number): void {
    this.clockOffsetMs = offsetMs;
  }

  /** Runs that have a shard on this agent not yet done (for heartbeats). */
  runIds(): string[] {
    const ids = new Set<string>();
    for (const { runId, run } of this.shards.values()) if (!run.finished) ids.add(runId);
    return [...ids];
  }

  /**
   * The coordinator that owns a run (the owner id of its Assign; "" when the transport has none),
   * or undefined when no shard of the run is on this agent.
   */
  ownerOf(runId: string): string | undefined {
    for (const entry of this.shards.values()) if (entry.runId === runId) return entry.ownerId;
    return undefined;
  }

  /** Cancels every shard of one run and waits for their ShardDone. */
  async stopRun(runId: string, reason: string): Promise<void> {
    await Promise.all([...this.shards.values()].filter((entry) => entry.runId === runId).map(({ run }) => run.cancel(reason)));
  }

  /** Handles an encoded Control; always resolves with an encoded ControlReply (errors as ok=false). */
  async handleControl(payload: Uint8Array): Promise<Uint8Array> {
    let reply: ControlReplyInit;
    try {
      reply = await this.dispatch(payload);
    } catch (error) {
      const e = toAssayError(error);
      if (!isAssayError(error)) this.logger.error({ err: error }, "control handler failed");
      reply = { ok: false, errorCode: e.code, errorMessage: e.message };
    }
    return pb.ControlReply.encode(reply).finish();
  }

  /** Cancels every shard (e.g. on shutdown or when the coordinator is gone) and waits for their ShardDone. */
  async stopAll(reason: string): Promise<void> {
    await Promise.all([...this.shards.values()].map(({ run }) => run.cancel(reason)));
  }

  private async dispatch(payload: Uint8Array): Promise<ControlReplyInit> {
    const control = decodeMessage(pb.Control, "Control", payload);
    switch (control.kind) {
      case "assign":
        return this.assign(control.assign ?? {});
      case "start":
        return this.start(control.start ?? {});
      case "cancel":
        return this.cancel(control.cancel ?? {});
      case "adjust":
        return this.adjust(control.adjust ?? {});
      case "timeProbe":
        return { ok: true, agentTimeMs: this.clock.nowMs() };
      default:
        throw new TransportError(ErrorCode.MalformedMessage, "control message has no known kind");
    }
  }

  private assign(assign: AssignInit): ControlReplyInit {
    const runId = assign.runId ?? "";
    const shardId = assign.shardId ?? "";
    if (runId === "" || shardId === "") throw new ValidationError(ErrorCode.BadShard, "assign needs runId and shardId");
    const key = shardKey(runId, shardId);
    const existing = this.shards.get(key);
    if (existing) {
      if (existing.run.running || existing.run.finished) {
        throw new ValidationError(ErrorCode.BadShard, `shard ${shardId} of run ${runId} was already started`);
      }
      this.logger.debug({ runId, shardId }, "re-assigned shard replaces the pending one");
    }
    const plan = compileShard(assign.shard ?? {});
    const run = new ShardRun(plan, {
      agentId: this.agentId,
      runId,
      shardId,
      port: this.port,
      logger: this.logger.child({ runId, shardId }),
      clock: this.clock,
      clientFactory: this.clientFactory,
      clockOffsetMs: () => this.clockOffsetMs,
    });
    this.shards.set(key, { runId, ownerId: assign.ownerId ?? "", run });
    void run.done.then(() => {
      if (this.shards.get(key)?.run === run) this.shards.delete(key);
    });
    this.logger.debug({ runId, shardId, series: plan.series.length }, "shard assigned");
    return { ok: true };
  }

  private find(runId: string | null | undefined, shardId: string | null | undefined): ShardRun {
    const entry = this.shards.get(shardKey(runId ?? "", shardId ?? ""));
    if (!entry) {
      throw new ValidationError(ErrorCode.UnknownShard, `no shard ${shardId ?? ""} of run ${runId ?? ""} on agent ${this.agentId}`);
    }
    return entry.run;
  }

  private start(start: StartInit): ControlReplyInit {
    const run = this.find(start.runId, start.shardId);
    run.start((start.startAtMs ?? 0) - this.clockOffsetMs);
    return { ok: true };
  }

  private async cancel(cancel: CancelInit): Promise<ControlReplyInit> {
    const entry = this.shards.get(shardKey(cancel.runId ?? "", cancel.shardId ?? ""));
    // Cancelling a shard that already finished (or never came) is not an error: the outcome is the same.
    if (!entry) return { ok: true };
    await withDeadline(entry.run.cancel(cancel.reason || "cancelled"), CANCEL_REPLY_WAIT_MS);
    return { ok: true };
  }

  private adjust(adjust: AdjustInit): ControlReplyInit {
    this.find(adjust.runId, adjust.shardId).adjust(adjust.series ?? []);
    this.logger.info({ runId: adjust.runId, shardId: adjust.shardId }, "shard adjusted");
    return { ok: true };
  }
}
