/**
 * The NATS subject grammar of the agent protocol: the one place that names every subject, stream,
 * consumer and key-value bucket. Payloads are always protobuf messages from
 * proto/assay/v1/agent.proto (`pb.*`), never JSON.
 *
 * ```
 * assay.agent.hello                 agent → coordinator   Hello: id, capacity, labels, version (publish)
 * assay.agent.discover              coordinator → agents  empty: "every agent re-sends its Hello" (publish)
 * assay.agent.<id>.heartbeat        agent → coordinator   Heartbeat every second (request);
 *                                                          the reply is a HeartbeatReply with the coordinator's clock
 * assay.agent.<id>.control          coordinator → agent   Control: assign / start / adjust / cancel / time probe
 *                                                          (request; the reply is a ControlReply)
 * assay.run.<runId>.report          agent → coordinator   IntervalReport (JetStream publish, persisted before the ack)
 * assay.run.<runId>.done            agent → coordinator   ShardDone (JetStream publish)
 * ```
 *
 * Reports and ShardDone messages go through the JetStream stream `ASSAY_REPORTS` (subjects
 * `assay.run.>`), with a message id `<agent>/<shard>/<seq>` (`…/done` for ShardDone) so a publish
 * retried after a reconnect is stored once. The coordinator consumes them with a durable consumer
 * and acknowledges each one after it has been merged. Run plans and results live in the key-value
 * bucket `assay_state`. Agent ids and run ids must be single subject tokens: `[A-Za-z0-9_-]`.
 */
import { readFile } from "node:fs/promises";
import { credsAuthenticator, nkeyAuthenticator } from "nats";
import type { ConnectionOptions } from "nats";
import { ConfigurationError, ErrorCode } from "./errors.js";

export const SUBJECTS = {
  hello: "assay.agent.hello",
  discover: "assay.agent.discover",
  /** Wildcard over every agent's heartbeat subject. */
  heartbeats: "assay.agent.*.heartbeat",
  /** Wildcard over every run's reports and ShardDone messages (the stream's subjects). */
  runs: "assay.run.>",
  reportsStream: "ASSAY_REPORTS",
  stateBucket: "assay_state",
} as const;

export function heartbeatSubject(agentId: string): string {
  return `assay.agent.${agentId}.heartbeat`;
}

export function controlSubject(agentId: string): string {
  return `assay.agent.${agentId}.control`;
}

export function reportSubject(runId: string): string {
  return `assay.run.${runId}.report`;
}

export function doneSubject(runId: string): string {
  return `assay.run.${runId}.done`;
}

/** Every report and ShardDone of one run. */
export function runSubjects(runId: string): string {
  return `assay.run.${runId}.*`;
}

/** The agent id in `assay.agent.<id>.<kind>`, or undefined when the subject is not one. */
export function agentIdOfSubject(subject: string): string | undefined {
  const parts = subject.split(".");
  return parts.length === 4 && parts[0] === "assay" && parts[1] === "agent" ? parts[2] : undefined;
}

/** The run id in `assay.run.<runId>.<kind>`, or undefined when the subject is not one. */
export function runIdOfSubject(subject: string): string | undefined {
  const parts = subject.split(".");
  return parts.length === 4 && parts[0] === "assay" && parts[1] === "run" ? parts[2] : undefined;
}

/** JetStream message id of a report (`<agent>/<shard>/<seq>`) or ShardDone (`<agent>/<shard>/done`). */
export function reportMessageId(agentId: string, shardId: string, seq: number | "done"): string {
  return `${agentId}/${shardId}/${seq}`;
}

/** True when `token` can be used as one subject token (an agent id or run id). */
export function isSubjectToken(token: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(token);
}

// ---------------------------------------------------------------- connecting

/** How agents and the coordinator authenticate to NATS (all optional; at most one method is used). */
export interface NatsAuth {
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** An nkey seed (the `SU…` text), e.g. read from the file given to `--nkey-seed`. */
  readonly nkeySeed?: string;
  /** A NATS credentials file (JWT + seed), as written by `nsc`. */
  readonly credsFile?: string;
  /** A CA certificate file to verify the server (implies TLS). */
  readonly caFile?: string;
  /** Require TLS even without a CA file (the system trust store verifies the server). */
  readonly tls?: boolean;
}

/** Connection options both sides use: reconnect forever with jitter, plus the auth method. */
export async function natsConnectionOptions(
  natsUrl: string,
  auth: NatsAuth,
  name: string,
  reconnectWaitMs = 500,
): Promise<ConnectionOptions> {
  const options: ConnectionOptions = {
    servers: natsUrl.split(",").map((s) => s.trim()).filter((s) => s !== ""),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: reconnectWaitMs,
    reconnectJitter: Math.max(50, Math.round(reconnectWaitMs / 2)),
    reconnectJitterTLS: Math.max(100, reconnectWaitMs),
    waitOnFirstConnect: true,
    pingInterval: 5000,
    maxPingOut: 2,
  };
  if (auth.user !== undefined) {
    options.user = auth.user;
    if (auth.pass !== undefined) options.pass = auth.pass;
  }
  if (auth.token !== undefined) options.token = auth.token;
  if (auth.nkeySeed !== undefined) options.authenticator = nkeyAuthenticator(new TextEncoder().encode(auth.nkeySeed.trim()));
  if (auth.credsFile !== undefined) {
    const creds = await readFile(auth.credsFile).catch((cause: unknown) => {
      throw new ConfigurationError(ErrorCode.FileNotFound, `cannot read the NATS credentials file ${auth.credsFile ?? ""}`, { cause });
    });
    options.authenticator = credsAuthenticator(new Uint8Array(creds));
  }
  if (auth.caFile !== undefined) options.tls = { caFile: auth.caFile };
  else if (auth.tls) options.tls = {};
  return options;
}
