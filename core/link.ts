/**
 * The agent link: the one seam between the coordinator and its agents. Both sides exchange only
 * protobuf-encoded messages from proto/assay/v1/agent.proto. Local runs implement it over
 * worker-thread MessagePorts (agent/local), distributed runs over NATS; the coordinator is
 * written against these interfaces alone.
 */

/** An agent as the coordinator sees it. */
export interface AgentInfo {
  readonly id: string;
  /** Relative share of load; shards are split in proportion to it. */
  readonly capacity: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly version: string;
}

/** What arrives from agents. Payloads are encoded protobuf messages. */
export type AgentEvent =
  | { readonly type: "joined"; readonly agent: AgentInfo }
  | { readonly type: "lost"; readonly agentId: string; readonly reason: string }
  /**
   * An encoded IntervalReport. `ack` is called after it has been merged (JetStream acks then).
   * `runId`, when the transport knows it without decoding (the NATS subject, the local envelope),
   * lets a listener skip other runs' reports without decoding them.
   */
  | { readonly type: "report"; readonly agentId: string; readonly runId?: string; readonly payload: Uint8Array; readonly ack: () => void }
  /** An encoded ShardDone (`runId` as for reports). */
  | { readonly type: "done"; readonly agentId: string; readonly runId?: string; readonly payload: Uint8Array; readonly ack: () => void }
  /**
   * The link can no longer reach the agents: it was closed, or (NATS) it has been disconnected for
   * longer than its grace. A load run in progress ends at once, keeping what it merged.
   */
  | { readonly type: "link-down"; readonly reason: string };

export type AgentEventHandler = (event: AgentEvent) => void;

/** The coordinator's side of the link. */
export interface AgentLink {
  /** The agents currently registered and alive. */
  agents(): readonly AgentInfo[];
  /**
   * Sends an encoded Control message to one agent and resolves with its encoded ControlReply.
   * Rejects with a TransportError (code CONTROL_TIMEOUT or LINK_CLOSED) when the agent does not
   * answer within `timeoutMs`.
   */
  control(agentId: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Subscribes to agent events; returns the unsubscribe function. */
  subscribe(handler: AgentEventHandler): () => void;
  /** Stops the transport (local links also stop their agents); subscribers get `link-down`. */
  close(): Promise<void>;
  /**
   * Who owns the runs started through this link (NATS: stable across a restart with the same
   * state), sent in every Assign. Transports without a dead-man switch leave it out.
   */
  readonly ownerId?: string;
  /**
   * Declares a run in progress on this link until the returned function is called: the link's
   * heartbeat replies name it, which is what keeps its shards alive on the agents (dead-man switch).
   */
  claimRun?(runId: string): () => void;
}

/** The agent's side of the link: how an agent runtime talks to its coordinator. */
export interface CoordinatorPort {
  /** Sends an encoded IntervalReport. Resolves once the transport accepted it (JetStream: persisted). */
  sendReport(payload: Uint8Array): Promise<void>;
  /** Sends an encoded ShardDone. */
  sendDone(payload: Uint8Array): Promise<void>;
}

/** Handles encoded Control messages on the agent side; returns an encoded ControlReply. */
export type ControlHandler = (payload: Uint8Array) => Promise<Uint8Array>;
