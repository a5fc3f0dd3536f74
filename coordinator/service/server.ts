/**
 * `assay coordinator`'s gRPC server: the Coordinator service (auth, error mapping) over an
 * ExperimentManager, plus the standard grpc.health.v1 health service and server reflection.
 */
import { isIP } from "node:net";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { ServerWritableStream, sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { ConfigurationError, ErrorCode, ValidationError } from "../../core/index.js";
import type { AgentLink, Logger, ResolveAll, api } from "../../core/index.js";
import type { RunStateStore } from "../load/options.js";
import type { BayesianAssessor } from "../tasks/assess.js";
import type { RunnerPolicy, TaskRunners } from "../tasks/types.js";
import { openAuthenticator } from "./auth.js";
import type { Authenticator, Caller, MethodName } from "./auth.js";
import { COORDINATOR_SERVICE_NAME, loadCoordinatorService } from "./definition.js";
import { ExperimentManager } from "./manager.js";
import { loopSettingsOfRequest } from "./scheduler.js";
import type { ExperimentManagerOptions, ManagerTelemetry } from "./manager.js";
import { toStatusObject } from "./status.js";
import type { ExperimentStore } from "./store.js";

/** PEM bytes for the server's TLS; `clientCa` turns on mTLS (client certificates required). */
export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa?: Buffer;
}

export interface CoordinatorServiceOptions {
  readonly link: AgentLink;
  readonly store: ExperimentStore;
  readonly config: ExperimentManagerOptions["config"];
  /** How the allow-list resolves names (tests); default dns.lookup. */
  readonly resolve?: ResolveAll;
  readonly logger: Logger;
  /** `host:port` (port 0 picks a free one). Default 127.0.0.1:7233. */
  readonly listen?: string;
  /** Allow a non-loopback address without TLS and auth (development only). */
  readonly insecureListenAny?: boolean;
  /** Default: no auth (everyone is an operator). */
  readonly authenticator?: Authenticator;
  readonly tls?: ServerTls;
  readonly runners?: TaskRunners;
  readonly bayesian?: BayesianAssessor;
  /** Run plans of load tasks (NATS key-value): running experiments resume after a restart. */
  readonly runState?: RunStateStore;
  /** Operator metrics (the ops endpoint's counters). */
  readonly telemetry?: ManagerTelemetry;
  readonly policy?: Partial<RunnerPolicy>;
  readonly reportIntervalMs?: number;
  readonly ringSize?: number;
  readonly watcherBuffer?: number;
}

export interface CoordinatorService {
  /** `host:port` actually bound. */
  readonly address: string;
  readonly port: number;
  readonly manager: ExperimentManager;
  /** Stops taking calls and work; waits up to `graceMs` for in-flight calls, then forces. */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_LISTEN = "127.0.0.1:7233";

/** Splits `host:port` / `[v6]:port`. */
export function parseListenAddress(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ValidationError(ErrorCode.BadFlag, `--listen: "${listen}" is not HOST:PORT`, { field: "--listen" });
  }
  return { host, port };
}

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

export async function startCoordinatorService(options: CoordinatorServiceOptions): Promise<CoordinatorService> {
  const { host, port } = parseListenAddress(options.listen ?? DEFAULT_LISTEN);
  const authenticator = options.authenticator ?? openAuthenticator();
  const authenticated = authenticator.enabled || options.tls?.clientCa !== undefined;
  if (!isLoopback(host) && !options.insecureListenAny && (!options.tls || !authenticated)) {
    throw new ConfigurationError(ErrorCode.BadConfig, `refusing to listen on ${host} without TLS and authentication`, {
      field: "--listen",
      suggestion: "give --tls-cert/--tls-key and a tokens file (or --tls-client-ca), listen on 127.0.0.1, or pass --insecure-listen-any",
    });
  }
  const log = options.logger.child({ component: "grpc" });
  const manager = await ExperimentManager.open({
    link: options.link,
    store: options.store,
    config: options.config,
    logger: options.logger,
    ...(options.runners ? { runners: options.runners } : {}),
    ...(options.bayesian ? { bayesian: options.bayesian } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.reportIntervalMs ? { reportIntervalMs: options.reportIntervalMs } : {}),
    ...(options.config.parseTimeoutMs ? { parseLimits: { timeoutMs: options.config.parseTimeoutMs } } : {}),
    ...(options.config.maxRestarts ? { maxRestarts: options.config.maxRestarts } : {}),
    ...(options.ringSize ? { ringSize: options.ringSize } : {}),
    ...(options.watcherBuffer ? { watcherBuffer: options.watcherBuffer } : {}),
    ...(options.runState ? { runState: options.runState } : {}),
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });

  const { packageDefinition, proto } = loadCoordinatorService();
  const server = new Server({ "grpc.max_send_message_length": 64 * 1024 * 1024 });

  const authorize = (metadata: ServerUnaryCall<unknown, unknown>["metadata"], method: MethodName): Caller => authenticator.authorize(metadata, method);
  function unary<Req, Res>(method: MethodName, handle: (request: Req, caller: Caller) => Promise<Res> | Res) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      let caller: Caller;
      try {
        caller = authorize(call.metadata, method);
      } catch (error) {
        log.info({ method, peer: call.getPeer(), err: (error as Error).message }, "call refused");
        callback(toStatusObject(error));
        return;
      }
      Promise.resolve()
        .then(() => handle(call.request, caller))
        .then(
          (response) => callback(null, response),
          (error: unknown) => callback(toStatusObject(error)),
        );
    };
  }

  const handlers: api.CoordinatorHandlers = {
    Submit: unary<api.SubmitRequest__Output, api.SubmitResponse>("Submit", async (request, caller) => ({
      experiment: await manager.submit({
        experimentYaml: request.experimentYaml,
        sourceName: request.sourceName,
        overrides: request.overrides,
        submittedBy: caller.name,
        loops: loopSettingsOfRequest(request),
      }),
    })),
    Get: unary<api.GetExperimentRequest__Output, api.GetExperimentResponse>("Get", async (request) => {
      const { summary, result, record } = await manager.describe(request.id);
      return {
        experiment: summary,
        resultJson: result ? JSON.stringify(result) : "",
        experimentYaml: record.experimentYaml,
        overrides: record.overrides,
      };
    }),
    List: unary<api.ListExperimentsRequest__Output, api.ListExperimentsResponse>("List", (request) => ({
      experiments: manager.list(request.states, request.limit > 0 ? request.limit : 100),
    })),
    Cancel: unary<api.CancelExperimentRequest__Output, api.CancelExperimentResponse>("Cancel", async (request) => {
      const { summary, alreadyFinished } = await manager.cancel(request.id, request.reason);
      return { experiment: summary, alreadyFinished };
    }),
    ListAgents: unary<api.ListAgentsRequest__Output, api.ListAgentsResponse>("ListAgents", () => ({ agents: manager.agents() })),
    Watch: (call: ServerWritableStream<api.WatchRequest__Output, api.WatchEvent>): void => {
      try {
        authorize(call.metadata, "Watch");
        const watcher = manager.watch(
          call.request.id,
          {
            write: (event) => call.write(event),
            onDrain: (listener) => call.on("drain", listener),
            end: () => call.end(),
          },
          call.request.fromSeq,
        );
        call.on("cancelled", () => watcher.cancel());
        call.on("error", () => watcher.cancel());
      } catch (error) {
        call.emit("error", toStatusObject(error));
      }
    },
  };
  server.addService(proto.assay.v1.Coordinator.service, handlers);
  const health = new HealthImplementation({ "": "SERVING", [COORDINATOR_SERVICE_NAME]: "SERVING" });
  health.addToServer(server);
  new ReflectionService(packageDefinition).addToServer(server);

  const credentials = options.tls
    ? ServerCredentials.createSsl(options.tls.clientCa ?? null, [{ private_key: options.tls.key, cert_chain: options.tls.cert }], options.tls.clientCa !== undefined)
    : ServerCredentials.createInsecure();
  const bindHost = isIP(host) === 6 ? `[${host}]` : host;
  let boundPort: number;
  try {
    boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${bindHost}:${port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
    });
  } catch (cause) {
    await manager.close(0);
    throw new ConfigurationError(ErrorCode.BadConfig, `cannot listen on ${bindHost}:${port}: ${(cause as Error).message}`, { cause, field: "--listen" });
  }
  const address = `${bindHost}:${boundPort}`;
  log.info({ address, tls: options.tls !== undefined, mtls: options.tls?.clientCa !== undefined, auth: authenticator.enabled }, "coordinator API listening");

  let closing: Promise<void> | undefined;
  return {
    address,
    port: boundPort,
    manager,
    close(graceMs = 5000) {
      closing ??= (async () => {
        health.setStatus("", "NOT_SERVING");
        health.setStatus(COORDINATOR_SERVICE_NAME, "NOT_SERVING");
        await manager.close(graceMs);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, graceMs);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        await options.store.close();
      })();
      return closing;
    },
  };
}
