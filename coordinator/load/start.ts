/**
 * The coordinator's control messages for one run, and the start barrier: every shard is assigned
 * (the agent validates it and replies), then every agent gets Start with one start time a little
 * in the future on the coordinator's clock, so the agents begin together.
 */
import { ErrorCode, TransportError, ValidationError, isErrorCode, pb } from "../../core/index.js";
import type { AgentLink, ControlInit } from "../../core/index.js";
import type { PlannedShard } from "./plan.js";

/** Assign, Start and Cancel for the shards of one run. */
export class ShardControl {
  constructor(
    private readonly link: AgentLink,
    private readonly runId: string,
    private readonly timing: { readonly controlTimeoutMs: number; readonly startLeadMs: number },
  ) {}

  assign(shard: PlannedShard): Promise<void> {
    return control(this.link, shard.agent.id, { assign: { runId: this.runId, shardId: shard.shardId, shard: shard.spec, ownerId: this.link.ownerId ?? "" } }, this.timing.controlTimeoutMs);
  }

  start(shard: PlannedShard, startAtMs: number): Promise<void> {
    return control(this.link, shard.agent.id, { start: { runId: this.runId, shardId: shard.shardId, startAtMs } }, this.timing.controlTimeoutMs);
  }

  cancel(shard: PlannedShard, reason: string, timeoutMs = this.timing.controlTimeoutMs): Promise<void> {
    return control(this.link, shard.agent.id, { cancel: { runId: this.runId, shardId: shard.shardId, reason } }, timeoutMs);
  }

  /** A start time `startLeadMs` from now (coordinator clock). */
  nextStartAtMs(): number {
    return Date.now() + this.timing.startLeadMs;
  }

  /** The start barrier: assigns every shard, then starts them all at one time, which it returns. */
  async startTogether(shards: readonly PlannedShard[]): Promise<number> {
    await Promise.all(shards.map((shard) => this.assign(shard)));
    const startAtMs = this.nextStartAtMs();
    await Promise.all(shards.map((shard) => this.start(shard, startAtMs)));
    return startAtMs;
  }
}

/**
 * Sends one control message and checks the reply. A refusal is a ValidationError when the agent
 * found the shard invalid (EXPERIMENT_* codes), else a TransportError with the agent's code.
 */
export async function control(link: AgentLink, agentId: string, message: ControlInit, timeoutMs: number): Promise<void> {
  const replyBytes = await link.control(agentId, pb.Control.encode(message).finish(), timeoutMs);
  const reply = pb.ControlReply.decode(replyBytes);
  if (!reply.ok) {
    const what = Object.keys(message)[0] ?? "control";
    const text = `agent ${agentId} refused ${what}: ${reply.errorMessage || reply.errorCode}`;
    const code = isErrorCode(reply.errorCode) ? reply.errorCode : ErrorCode.ControlTimeout;
    if (code.startsWith("EXPERIMENT_")) throw new ValidationError(code, text);
    throw new TransportError(code, text);
  }
}
