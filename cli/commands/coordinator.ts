/**
 * `assay coordinator`: the long-running service with the gRPC API, over remote agents (--nats) or
 * local worker-thread agents (--local-agents N). SIGINT/SIGTERM: graceful stop (running experiments
 * stopped and kept, in-flight calls drained); a second signal exits at once.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { startLocalAgents } from "../../agent/index.js";
import {
  connectNatsLink,
  defaultBayesian,
  defaultRunners,
  natsRunStateStore,
  defaultConfig,
  kvStore,
  loadConfigFile,
  loadTokensFile,
  openFileStore,
  startCoordinatorService,
  startDashboardServer,
  managerSource,
  tokenAuthenticator,
  DEFAULT_LISTEN,
} from "../../coordinator/index.js";
import type { CoordinatorConfig, CoordinatorService, DashboardServer, ExperimentStore, ManagerTelemetry, RunStateStore, ServerTls } from "../../coordinator/index.js";
import { ConfigurationError, ErrorCode, ValidationError, createLogger } from "../../core/index.js";
import { startCoordinatorOps } from "../../ops/index.js";
import type { AgentLink } from "../../core/index.js";
import { positiveInteger } from "../args.js";
import { defineCommand } from "../command.js";
import type { FlagDefs, FlagValues, LogSettings } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { NATS_AUTH_FLAGS, natsAuthFromFlags } from "../nats-flags.js";
import { write } from "../output.js";
import type { CliIo } from "../output.js";
import { UI_FLAG, uiListenAddress } from "../ui.js";

const COORDINATOR_FLAGS = {
  nats: { type: "string", value: "URL", description: "remote agents over NATS; state in a JetStream key-value bucket" },
  "local-agents": { type: "string", value: "N", description: "N agents in worker threads (no NATS); state in --state-dir" },
  "state-dir": { type: "string", value: "DIR", description: "where --local-agents keeps experiments (default .assay/coordinator)" },
  config: { type: "string", value: "FILE", description: "allowedTargets, limits, secrets, templateLimits, concurrency, tokensFile, tls (YAML or JSON)" },
  listen: { type: "string", value: "HOST:PORT", description: `API address (default ${DEFAULT_LISTEN}; port 0 picks a free port)` },
  tokens: { type: "string", value: "FILE", description: "bearer tokens and roles (viewer | operator); overrides tokensFile" },
  "tls-cert": { type: "string", value: "FILE", description: "serve TLS with this certificate ..." },
  "tls-key": { type: "string", value: "FILE", description: "... and key" },
  "tls-client-ca": { type: "string", value: "FILE", description: "require client certificates signed by this CA (mTLS)" },
  "insecure-listen-any": { type: "boolean", description: "allow a non-loopback --listen without TLS and auth" },
  "ops-listen": { type: "string", value: "ADDR", description: "serve /healthz, /readyz, /metrics on ADDR (e.g. 0.0.0.0:9464)" },
  ui: { ...UI_FLAG, description: `${UI_FLAG.description}, with the API's tokens (sign in once, then a session cookie) and TLS` },
  concurrency: { type: "string", value: "N", description: "experiments run at the same time (default 1, or the config's)" },
  "report-interval": { type: "string", value: "MS", description: "agents' report interval (default 1000)" },
  "allow-run": { type: "boolean", description: "allow `run` tasks to execute shell commands" },
  ...NATS_AUTH_FLAGS,
} as const satisfies FlagDefs;

export const coordinatorCommand = defineCommand({
  name: "coordinator",
  summary: "run the coordinator service (gRPC API, queue; --nats URL or --local-agents N)",
  description: `Runs the coordinator service: the gRPC API (submit, watch, get, list, cancel, agents), a queue of
experiments, and the agents (remote over NATS, or local worker threads).`,
  flags: COORDINATOR_FLAGS,
  service: true,
  footer: `Prints "coordinator listening on HOST:PORT" once it serves (and "dashboard at URL" with --ui).`,
  run: ({ flags, io, log }) => serveCoordinator(flags, io, log),
});

async function serveCoordinator(values: FlagValues<typeof COORDINATOR_FLAGS>, io: CliIo, log: LogSettings): Promise<number> {
  if (values.nats !== undefined && values["local-agents"] !== undefined) {
    throw new ValidationError(ErrorCode.BadFlag, "give either --nats or --local-agents, not both", { field: "--nats" });
  }
  const localAgents = positiveInteger(values["local-agents"], "--local-agents");
  if (values.nats === undefined && localAgents === undefined) {
    throw new ValidationError(ErrorCode.BadFlag, "assay coordinator needs --nats URL (remote agents) or --local-agents N", {
      suggestion: "for a quick start on one machine: assay coordinator --local-agents 2",
    });
  }
  const concurrency = positiveInteger(values.concurrency, "--concurrency");
  const reportIntervalMs = positiveInteger(values["report-interval"], "--report-interval");
  const fileConfig: CoordinatorConfig = values.config ? await loadConfigFile(values.config) : defaultConfig();
  const config: CoordinatorConfig = { ...fileConfig, ...(concurrency ? { concurrency } : {}) };
  const tokensFile = values.tokens ?? config.tokensFile;
  const tls = await serverTls(values, config);

  const logger = createLogger({ name: "coordinator", level: io.env["ASSAY_LOG_LEVEL"] ?? "info", format: log.format, color: log.color });
  let link: AgentLink;
  let store: ExperimentStore;
  let runState: RunStateStore | undefined;
  if (values.nats !== undefined) {
    const nats = await connectNatsLink({ natsUrl: values.nats, logger, durableName: "assay-coordinator", auth: await natsAuthFromFlags(values, io.env) });
    link = nats;
    store = kvStore(await nats.stateBucket());
    runState = natsRunStateStore(nats);
  } else {
    link = await startLocalAgents({ count: localAgents ?? 1, logger, log });
    store = await openFileStore(values["state-dir"] ?? join(io.cwd, ".assay", "coordinator"));
  }

  // The ops endpoint starts first so the service can count into its metrics from the start.
  const agentLink = link;
  const serving: { service?: CoordinatorService } = {};
  const ops =
    values["ops-listen"] === undefined
      ? undefined
      : await startCoordinatorOps({
          listen: values["ops-listen"],
          logger,
          ready: () => serving.service !== undefined,
          agentsConnected: () => agentLink.agents().length,
          experimentsRunning: () => serving.service?.manager.runningCount() ?? 0,
        });
  const telemetry: ManagerTelemetry | undefined = ops && {
    reportMerged: (lagMs) => {
      ops.metrics.reportsMerged.inc();
      ops.metrics.mergeLagSeconds.observe(lagMs / 1000);
    },
    duplicateReport: () => ops.metrics.reportsDuplicate.inc(),
    experimentFinished: (outcome) => ops.metrics.experimentsFinished.inc({ outcome }),
  };

  let service;
  let dashboard: DashboardServer | undefined;
  try {
    const authenticator = tokensFile ? tokenAuthenticator(await loadTokensFile(tokensFile)) : undefined;
    service = await startCoordinatorService({
      link,
      store,
      config,
      logger,
      ...(values.listen ? { listen: values.listen } : {}),
      insecureListenAny: values["insecure-listen-any"],
      ...(authenticator ? { authenticator } : {}),
      ...(tls ? { tls } : {}),
      runners: defaultRunners(),
      bayesian: defaultBayesian(),
      ...(runState ? { runState } : {}),
      ...(telemetry ? { telemetry } : {}),
      policy: { allowRunTask: values["allow-run"] },
      ...(reportIntervalMs ? { reportIntervalMs } : {}),
    });
    if (values.ui !== undefined) {
      dashboard = await startDashboardServer({
        source: managerSource(service.manager),
        logger,
        listen: uiListenAddress(values.ui),
        insecureListenAny: values["insecure-listen-any"],
        ...(authenticator ? { authenticator } : {}),
        ...(tls ? { tls } : {}),
      });
    }
  } catch (error) {
    await service?.close(0);
    await link.close();
    await ops?.close();
    throw error;
  }
  serving.service = service;
  await write(io.stdout, `coordinator listening on ${service.address}\n${dashboard ? `dashboard at ${dashboard.url}\n` : ""}`);

  const running = service;
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) process.exit(ExitCode.Interrupted);
      logger.info({ signal }, "stopping: running experiments are stopped and kept; signal again to exit now");
      void (dashboard?.close() ?? Promise.resolve())
        .then(() => running.close(5000))
        .catch((error: unknown) => logger.error({ err: error }, "shutdown failed"))
        .then(() => link.close())
        .then(() => ops?.close())
        .catch((error: unknown) => logger.error({ err: error }, "closing the agent link failed"))
        .finally(() => {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          resolve();
        });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  return ExitCode.Ok;
}

async function serverTls(
  values: { "tls-cert"?: string | undefined; "tls-key"?: string | undefined; "tls-client-ca"?: string | undefined },
  config: CoordinatorConfig,
): Promise<ServerTls | undefined> {
  const certFile = values["tls-cert"] ?? config.tls?.certFile;
  const keyFile = values["tls-key"] ?? config.tls?.keyFile;
  const clientCaFile = values["tls-client-ca"] ?? config.tls?.clientCaFile;
  if (!certFile && !keyFile) {
    if (clientCaFile) throw new ValidationError(ErrorCode.BadFlag, "--tls-client-ca needs --tls-cert and --tls-key", { field: "--tls-client-ca" });
    return undefined;
  }
  if (!certFile || !keyFile) throw new ValidationError(ErrorCode.BadFlag, "--tls-cert and --tls-key go together", { field: certFile ? "--tls-key" : "--tls-cert" });
  const read = async (path: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (cause) {
      throw new ConfigurationError(ErrorCode.FileNotFound, `cannot read the ${what} ${path}`, { cause });
    }
  };
  return {
    cert: await read(certFile, "TLS certificate"),
    key: await read(keyFile, "TLS key"),
    ...(clientCaFile ? { clientCa: await read(clientCaFile, "client CA") } : {}),
  };
}
