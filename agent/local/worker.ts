/**
 * Worker-thread entry of a local agent: one AgentRuntime per worker. The MessagePort to the
 * coordinator carries only encoded protobuf: CoordinatorEnvelope in, AgentEnvelope out.
 */
import { hostname } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { createLogger, pb } from "../../core/index.js";
import type { AgentEnvelope, CoordinatorEnvelope, LogFormat } from "../../core/index.js";
import { AgentRuntime } from "../runtime.js";
import { AGENT_VERSION } from "../version.js";

/** What the link hands each worker. */
export interface LocalWorkerData {
  readonly agentId: string;
  readonly capacity: number;
  /** pino level of the worker's logger. */
  readonly logLevel: string;
  /** Its log lines' format (default JSON) and, for human lines, colour. */
  readonly logFormat?: LogFormat;
  readonly logColor?: boolean;
}

type AgentEnvelopeInit = ConstructorParameters<typeof pb.AgentEnvelope>[0] & object;

function main(): void {
  const port = parentPort;
  if (port === null) throw new Error("agent/local/worker must run in a worker thread");
  const data = workerData as LocalWorkerData;
  const logger = createLogger({
    level: data.logLevel,
    name: "agent",
    ...(data.logFormat ? { format: data.logFormat } : {}),
    ...(data.logColor !== undefined ? { color: data.logColor } : {}),
  }).child({ agentId: data.agentId });
  const post = (envelope: AgentEnvelopeInit): void => {
    port.postMessage(pb.AgentEnvelope.encode(envelope).finish());
  };
  const runtime = new AgentRuntime({
    agentId: data.agentId,
    logger,
    port: {
      sendReport: (payload) => {
        post({ report: pb.IntervalReport.decode(payload) });
        return Promise.resolve();
      },
      sendDone: (payload) => {
        post({ done: pb.ShardDone.decode(payload) });
        return Promise.resolve();
      },
    },
  });

  port.on("message", (message: unknown) => {
    if (!(message instanceof Uint8Array)) {
      logger.warn("ignoring a non-binary message from the coordinator");
      return;
    }
    let envelope: CoordinatorEnvelope;
    try {
      envelope = pb.CoordinatorEnvelope.decode(message);
    } catch (err) {
      logger.warn({ err }, "ignoring an undecodable message from the coordinator");
      return;
    }
    if (!envelope.control) return;
    const correlationId = envelope.correlationId;
    void runtime.handleControl(pb.Control.encode(envelope.control).finish()).then((reply) => {
      post({ reply: pb.ControlReply.decode(reply), correlationId });
    });
  });

  const hello: AgentEnvelope["hello"] = {
    agentId: data.agentId,
    capacity: data.capacity,
    labels: { mode: "local" },
    version: AGENT_VERSION,
    pid: process.pid,
    hostname: hostname(),
  };
  post({ hello });
}

main();
