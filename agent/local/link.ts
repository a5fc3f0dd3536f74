/**
 * The local agent link: agents in worker threads of this process, reached over their MessagePorts
 * with the same protobuf messages the NATS transport carries (CoordinatorEnvelope to the worker,
 * AgentEnvelope back). The coordinator cannot tell it from a distributed run.
 */
import { Worker } from "node:worker_threads";
import { ErrorCode, TransportError, ValidationError, pb, silentLogger } from "../../core/index.js";
import type { AgentEnvelope, AgentEvent, AgentEventHandler, AgentInfo, AgentLink, Control, LogFormat, Logger } from "../../core/index.js";
import type { LocalWorkerData } from "./worker.js";

export interface LocalAgentsOptions {
  /** Number of agents (worker threads), at least 1. */
  readonly count: number;
  readonly logger?: Logger;
  /** Capacity each agent announces; default 1. */
  readonly capacity?: number;
  /** How long the agents get to say hello; default 30000. */
  readonly startTimeoutMs?: number;
  /** How the workers write their log lines (they log to stderr themselves); default JSON. */
  readonly log?: { readonly format: LogFormat; readonly color: boolean };
}

const DEFAULT_START_TIMEOUT_MS = 30_000;
/** On close, how long a running shard's Cancel may take before the worker is terminated anyway. */
const CLOSE_CANCEL_TIMEOUT_MS = 3000;

interface LocalAgent {
  readonly id: string;
  readonly worker: Worker;
  info: AgentInfo | null;
  alive: boolean;
  /** Shards assigned and not yet done, as `runId/shardId`. */
  readonly shards: Map<string, { runId: string; shardId: string }>;
  readonly joined: Promise<void>;
  resolveJoined: () => void;
  rejectJoined: (error: Error) => void;
}

interface PendingControl {
  readonly agentId: string;
  readonly resolve: (reply: Uint8Array) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const noop = (): void => {};

function shardKey(runId: string, shardId: string): string {
  return `${runId}/${shardId}`;
}

/** The worker entry next to this file: worker.ts under a TypeScript loader (tests), worker.js in dist/. */
function spawnWorker(data: LocalWorkerData): Worker {
  const typescript = import.meta.url.endsWith(".ts");
  const entry = new URL(typescript ? "./worker.ts" : "./worker.js", import.meta.url);
  if (!typescript) return new Worker(entry, { workerData: data });
  // Loader hooks given with --import (how tsx runs) do not reach worker threads on Node 20, so the
  // worker registers tsx itself before importing its TypeScript entry.
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

class LocalAgentLinkImpl implements AgentLink {
  private readonly members = new Map<string, LocalAgent>();
  private readonly pending = new Map<number, PendingControl>();
  private readonly handlers = new Set<AgentEventHandler>();
  private nextCorrelationId = 1;
  private closing = false;
  private closed = false;
  private closePromise: Promise<void> | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly capacity: number,
    private readonly log: LocalAgentsOptions["log"],
  ) {}

  spawn(agentId: string): LocalAgent {
    let resolveJoined = noop;
    let rejectJoined: (error: Error) => void = noop;
    const joined = new Promise<void>((resolve, reject) => {
      resolveJoined = resolve;
      rejectJoined = reject;
    });
    joined.catch(noop);
    const worker = spawnWorker({ agentId, capacity: this.capacity, logLevel: this.logger.level, ...(this.log ? { logFormat: this.log.format, logColor: this.log.color } : {}) });
    const agent: LocalAgent = { id: agentId, worker, info: null, alive: true, shards: new Map(), joined, resolveJoined, rejectJoined };
    this.members.set(agentId, agent);
    worker.on("message", (message: unknown) => this.onMessage(agent, message));
    worker.on("messageerror", (error: Error) => this.logger.warn({ err: error, agentId }, "undeliverable message from a local agent"));
    worker.on("error", (error: Error) => this.onGone(agent, `worker failed: ${error.message}`, error));
    worker.on("exit", (code: number) => this.onGone(agent, `worker exited with code ${code}`));
    return agent;
  }

  agents(): readonly AgentInfo[] {
    const list: AgentInfo[] = [];
    for (const agent of this.members.values()) if (agent.alive && agent.info) list.push(agent.info);
    return list;
  }

  control(agentId: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new TransportError(ErrorCode.LinkClosed, "the local agent link is closed"));
    const agent = this.members.get(agentId);
    if (!agent?.alive) return Promise.reject(new TransportError(ErrorCode.LinkClosed, `local agent ${agentId} is not running`));
    let control: Control;
    try {
      control = pb.Control.decode(payload);
    } catch (cause) {
      return Promise.reject(new TransportError(ErrorCode.MalformedMessage, "control payload is not an encoded Control", { cause }));
    }
    const correlationId = this.nextCorrelationId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new TransportError(ErrorCode.ControlTimeout, `local agent ${agentId} did not answer a ${control.kind ?? "control"} within ${timeoutMs}ms`));
      }, timeoutMs);
      this.pending.set(correlationId, {
        agentId,
        timer,
        reject,
        resolve: (reply) => {
          const assign = control.assign;
          if (assign && pb.ControlReply.decode(reply).ok) {
            agent.shards.set(shardKey(assign.runId ?? "", assign.shardId ?? ""), { runId: assign.runId ?? "", shardId: assign.shardId ?? "" });
          }
          resolve(reply);
        },
      });
      agent.worker.postMessage(pb.CoordinatorEnvelope.encode({ control, correlationId }).finish());
    });
  }

  subscribe(handler: AgentEventHandler): () => void {
    this.handlers.add(handler);
    return () => {
      this.handlers.delete(handler);
    };
  }

  close(): Promise<void> {
    this.closePromise ??= this.shutdown();
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    const cancels: Promise<unknown>[] = [];
    for (const agent of this.members.values()) {
      if (!agent.alive) continue;
      for (const { runId, shardId } of agent.shards.values()) {
        const payload = pb.Control.encode({ cancel: { runId, shardId, reason: "agent link closed" } }).finish();
        cancels.push(this.control(agent.id, payload, CLOSE_CANCEL_TIMEOUT_MS).catch(noop));
      }
    }
    await Promise.all(cancels);
    this.closed = true;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new TransportError(ErrorCode.LinkClosed, "the local agent link was closed"));
      this.pending.delete(id);
    }
    await Promise.all([...this.members.values()].map((agent) => agent.worker.terminate().catch(noop)));
    this.emit({ type: "link-down", reason: "the local agent link was closed" });
    this.handlers.clear();
  }

  private emit(event: AgentEvent): void {
    for (const handler of [...this.handlers]) {
      try {
        handler(event);
      } catch (err) {
        this.logger.error({ err, event: event.type }, "agent event handler threw");
      }
    }
  }

  private onMessage(agent: LocalAgent, message: unknown): void {
    if (!(message instanceof Uint8Array)) {
      this.logger.warn({ agentId: agent.id }, "ignoring a non-binary message from a local agent");
      return;
    }
    let envelope: AgentEnvelope;
    try {
      envelope = pb.AgentEnvelope.decode(message);
    } catch (err) {
      this.logger.warn({ err, agentId: agent.id }, "ignoring an undecodable message from a local agent");
      return;
    }
    switch (envelope.kind) {
      case "hello": {
        const hello = envelope.hello ?? {};
        agent.info = {
          id: agent.id,
          capacity: hello.capacity ?? this.capacity,
          labels: { ...(hello.labels ?? {}) },
          version: hello.version ?? "",
        };
        this.emit({ type: "joined", agent: agent.info });
        agent.resolveJoined();
        return;
      }
      case "reply": {
        const pending = this.pending.get(envelope.correlationId);
        if (!pending) return;
        this.pending.delete(envelope.correlationId);
        clearTimeout(pending.timer);
        pending.resolve(pb.ControlReply.encode(envelope.reply ?? {}).finish());
        return;
      }
      case "report": {
        const report = envelope.report ?? {};
        const payload = pb.IntervalReport.encode(report).finish();
        this.emit({ type: "report", agentId: agent.id, runId: report.runId ?? "", payload, ack: noop });
        return;
      }
      case "done": {
        const done = envelope.done ?? {};
        agent.shards.delete(shardKey(done.runId ?? "", done.shardId ?? ""));
        this.emit({ type: "done", agentId: agent.id, runId: done.runId ?? "", payload: pb.ShardDone.encode(done).finish(), ack: noop });
        return;
      }
      default:
        return;
    }
  }

  private onGone(agent: LocalAgent, reason: string, cause?: Error): void {
    if (!agent.alive) return;
    agent.alive = false;
    for (const [id, pending] of this.pending) {
      if (pending.agentId !== agent.id) continue;
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(new TransportError(ErrorCode.LinkClosed, `local agent ${agent.id}: ${reason}`, cause ? { cause } : {}));
    }
    agent.rejectJoined(new TransportError(ErrorCode.LinkClosed, `local agent ${agent.id} did not start: ${reason}`, cause ? { cause } : {}));
    if (this.closing) return;
    this.logger.warn({ agentId: agent.id, reason }, "local agent lost");
    if (agent.info) this.emit({ type: "lost", agentId: agent.id, reason });
  }
}

/**
 * Starts `count` agents in worker threads and resolves once every one has said hello. Agents are
 * named `local-1` … `local-N`, with labels `{mode: "local"}`. Rejects with a TransportError
 * (LINK_CLOSED) if an agent fails to start within `startTimeoutMs`.
 */
export async function startLocalAgents(options: LocalAgentsOptions): Promise<AgentLink> {
  const { count } = options;
  if (!Number.isInteger(count) || count < 1) {
    throw new ValidationError(ErrorCode.OutOfRange, `local agents: count must be a positive integer, got ${count}`, { field: "count" });
  }
  const logger = options.logger ?? silentLogger();
  const link = new LocalAgentLinkImpl(logger, options.capacity ?? 1, options.log);
  const agents: LocalAgent[] = [];
  for (let i = 1; i <= count; i++) agents.push(link.spawn(`local-${i}`));
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(agents.map((agent) => agent.joined)),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new TransportError(ErrorCode.LinkClosed, `local agents did not start within ${timeoutMs}ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    await link.close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return link;
}
