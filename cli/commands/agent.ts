/**
 * `assay agent --nats URL`: a load agent serving a coordinator over NATS until SIGTERM/SIGINT.
 * `--simulate N` runs N virtual agents instead (synthetic reports, no HTTP load) to measure the
 * coordinator at scale.
 */
import { readFile } from "node:fs/promises";
import { startNatsAgent, startSimulatedAgents } from "../../agent/index.js";
import type { NatsAgentHandle } from "../../agent/index.js";
import { ErrorCode, ValidationError, createLogger, parseDurationMs } from "../../core/index.js";
import type { IntervalReport, NatsAuth } from "../../core/index.js";
import { startAgentOps } from "../../ops/index.js";
import type { AgentMetrics } from "../../ops/index.js";
import { parseFlags, positiveInteger } from "../args.js";
import type { FlagSpec } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { write } from "../output.js";
import type { CliIo } from "../output.js";

export const AGENT_USAGE = `usage: assay agent --nats URL [options]

Runs a load agent: registers with the coordinator over NATS, runs the shards it is given, and
stops its load by itself when the coordinator has been silent for the dead-man time.

      --nats URL           NATS server(s), comma-separated (required)
      --name ID            agent id (default: hostname-random); letters, digits, - and _
      --labels k=v,...     labels a task's agent selector can match
      --capacity N         relative share of load (default 1)
      --dead-man D         stop load after the coordinator was silent this long (default 10s)
      --simulate N         run N virtual agents sending synthetic reports (coordinator benchmarks)
      --ops-listen ADDR    serve /healthz, /readyz, /metrics on ADDR (e.g. 0.0.0.0:9464)
${NATS_AUTH_USAGE()}`;

/** The NATS auth flags `agent` and `run --nats` share. */
export const NATS_AUTH_FLAGS = {
  user: { type: "string" },
  password: { type: "string" },
  token: { type: "string" },
  "nkey-seed": { type: "string" },
  creds: { type: "string" },
  "tls-ca": { type: "string" },
  tls: { type: "boolean" },
} as const satisfies FlagSpec;

export function NATS_AUTH_USAGE(): string {
  return `      --user U --password P  NATS user and password (or ASSAY_NATS_PASSWORD)
      --token T            NATS token (or ASSAY_NATS_TOKEN)
      --nkey-seed FILE     NATS nkey seed file
      --creds FILE         NATS credentials file (JWT + seed)
      --tls-ca FILE        CA certificate to verify the NATS server (implies TLS)
      --tls                require TLS (system trust store)
`;
}

type AuthValues = { [K in keyof typeof NATS_AUTH_FLAGS]?: (typeof NATS_AUTH_FLAGS)[K]["type"] extends "boolean" ? boolean : string };

export async function natsAuthFromFlags(values: AuthValues): Promise<NatsAuth> {
  const password = values.password ?? process.env["ASSAY_NATS_PASSWORD"];
  const token = values.token ?? process.env["ASSAY_NATS_TOKEN"];
  let nkeySeed: string | undefined;
  if (values["nkey-seed"] !== undefined) {
    const file = values["nkey-seed"];
    nkeySeed = await readFile(file, "utf8").catch((cause: unknown) => {
      throw new ValidationError(ErrorCode.FileNotFound, `--nkey-seed: cannot read ${file}`, { cause, field: "--nkey-seed" });
    });
  }
  return {
    ...(values.user !== undefined ? { user: values.user } : {}),
    ...(values.user !== undefined && password !== undefined ? { pass: password } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(nkeySeed !== undefined ? { nkeySeed } : {}),
    ...(values.creds !== undefined ? { credsFile: values.creds } : {}),
    ...(values["tls-ca"] !== undefined ? { caFile: values["tls-ca"] } : {}),
    ...(values.tls ? { tls: true } : {}),
  };
}

/** `k=v,k2=v2` (also repeatable) into a record. */
export function parseLabels(values: readonly string[], flag: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of values.flatMap((v) => v.split(","))) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) throw new ValidationError(ErrorCode.BadFlag, `${flag}: expected key=value, got "${part}"`, { field: flag });
    labels[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return labels;
}

export async function agentCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags("agent", argv, {
    nats: { type: "string" },
    name: { type: "string" },
    labels: { type: "string", multiple: true },
    capacity: { type: "string" },
    "dead-man": { type: "string" },
    simulate: { type: "string" },
    "ops-listen": { type: "string" },
    ...NATS_AUTH_FLAGS,
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, AGENT_USAGE);
    return ExitCode.Ok;
  }
  if (!values.nats) {
    throw new ValidationError(ErrorCode.BadFlag, "assay agent: --nats URL is required", { suggestion: "e.g. assay agent --nats nats://127.0.0.1:4222" });
  }
  const labels = parseLabels(values.labels ?? [], "--labels");
  const capacity = positiveInteger(values.capacity, "--capacity");
  const deadManMs = values["dead-man"] === undefined ? undefined : parseDurationMs(values["dead-man"], "--dead-man");
  const simulate = positiveInteger(values.simulate, "--simulate");
  const auth = await natsAuthFromFlags(values);
  const logger = createLogger({ name: "agent", level: process.env["ASSAY_LOG_LEVEL"] ?? "info" });

  let stop: () => Promise<void>;
  let closed: Promise<void>;
  // The ops endpoint starts first so that the agent can count into its metrics from the first report.
  let agentHandle: NatsAgentHandle | undefined;
  const ops =
    values["ops-listen"] === undefined
      ? undefined
      : await startAgentOps({
          listen: values["ops-listen"],
          logger,
          ready: () => (simulate ? true : agentHandle !== undefined && !agentHandle.connection.isClosed()),
          deadManTrips: () => agentHandle?.deadManTrips() ?? 0,
          shardsRunning: () => agentHandle?.runtime.runIds().length ?? 0,
          // Heartbeats are answered every second; three missed ones mean the coordinator is away.
          coordinatorConnected: () => agentHandle !== undefined && agentHandle.coordinatorSilentMs() < 3000,
        });
  const countReport = ops ? (report: IntervalReport): void => countIntoMetrics(ops.metrics, report) : undefined;
  try {
    if (simulate) {
      const sim = await startSimulatedAgents({
        natsUrl: values.nats,
        count: simulate,
        auth,
        logger,
        labels,
        ...(values.name ? { idPrefix: values.name } : {}),
      });
      await write(io.stdout, `assay agent: ${simulate} simulated agents registered with ${values.nats}\n`);
      stop = () => sim.stop();
      closed = sim.closed;
    } else {
      const agent = await startNatsAgent({
        natsUrl: values.nats,
        labels,
        auth,
        logger,
        ...(values.name ? { agentId: values.name } : {}),
        ...(capacity ? { capacity } : {}),
        ...(deadManMs !== undefined ? { deadManMs } : {}),
        ...(countReport ? { onReportSent: countReport } : {}),
      });
      agentHandle = agent;
      await write(io.stdout, `assay agent: ${agent.agentId} registered with ${values.nats}\n`);
      stop = () => agent.stop();
      closed = agent.closed;
    }
  } catch (error) {
    await ops?.close();
    throw error;
  }

  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals > 1) process.exit(ExitCode.Interrupted);
    void write(io.stderr, "assay agent: stopping (cancelling shards, sending their final reports)\n");
    void stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await closed;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await ops?.close();
  }
  return ExitCode.Ok;
}

const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/** Requests by response class, transport failures, open-model misses and reports, from one interval report. */
function countIntoMetrics(metrics: AgentMetrics, report: IntervalReport): void {
  metrics.reportsSent.inc();
  for (const series of report.series) {
    (series.statusClasses ?? []).forEach((count, index) => {
      const label = STATUS_CLASSES[index];
      if (label && Number(count) > 0) metrics.requestsSent.inc({ class: label }, Number(count));
    });
    const transportFailures = Number(series.connectionErrors ?? 0) + Number(series.timeouts ?? 0);
    if (transportFailures > 0) {
      metrics.requestsSent.inc({ class: "error" }, transportFailures);
      metrics.errors.inc({ kind: "target" }, transportFailures);
    }
    if (Number(series.dropped ?? 0) > 0) metrics.requestsMissed.inc(Number(series.dropped));
  }
}
