/**
 * `assay agent --nats URL`: a load agent serving a coordinator over NATS until SIGTERM/SIGINT.
 * `--simulate N` runs N virtual agents instead (synthetic reports, no HTTP load) to measure the
 * coordinator at scale.
 */
import { startNatsAgent, startSimulatedAgents } from "../../agent/index.js";
import type { NatsAgentHandle } from "../../agent/index.js";
import { ErrorCode, ValidationError, createLogger, parseDurationMs } from "../../core/index.js";
import type { IntervalReport } from "../../core/index.js";
import { startAgentOps } from "../../ops/index.js";
import type { AgentMetrics } from "../../ops/index.js";
import { parseLabels, positiveInteger } from "../args.js";
import { defineCommand } from "../command.js";
import type { FlagDefs, FlagValues, LogSettings } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { NATS_AUTH_FLAGS, natsAuthFromFlags } from "../nats-flags.js";
import { write } from "../output.js";
import type { CliIo } from "../output.js";

const AGENT_FLAGS = {
  nats: { type: "string", value: "URL", description: "NATS server(s), comma-separated (required)" },
  name: { type: "string", value: "ID", description: "agent id (default: hostname-random); letters, digits, - and _" },
  labels: { type: "string", value: "k=v,...", repeatable: true, description: "labels a task's agent selector can match" },
  capacity: { type: "string", value: "N", description: "relative share of load (default 1)" },
  "dead-man": { type: "string", value: "D", description: "stop load after the coordinator was silent this long (default 10s)" },
  simulate: { type: "string", value: "N", description: "run N virtual agents sending synthetic reports (coordinator benchmarks)" },
  "ops-listen": { type: "string", value: "ADDR", description: "serve /healthz, /readyz, /metrics on ADDR (e.g. 0.0.0.0:9464)" },
  ...NATS_AUTH_FLAGS,
} as const satisfies FlagDefs;

export const agentCommand = defineCommand({
  name: "agent",
  summary: "run a load agent that serves a coordinator over NATS",
  description: `Runs a load agent: registers with the coordinator over NATS, runs the shards it is given, and
stops its load by itself when the coordinator has been silent for the dead-man time.`,
  flags: AGENT_FLAGS,
  service: true,
  run: ({ flags, io, log }) => serveAgent(flags, io, log),
});

async function serveAgent(values: FlagValues<typeof AGENT_FLAGS>, io: CliIo, log: LogSettings): Promise<number> {
  if (!values.nats) {
    throw new ValidationError(ErrorCode.BadFlag, "assay agent: --nats URL is required", { suggestion: "e.g. assay agent --nats nats://127.0.0.1:4222" });
  }
  const labels = parseLabels(values.labels, "--labels");
  const capacity = positiveInteger(values.capacity, "--capacity");
  const deadManMs = values["dead-man"] === undefined ? undefined : parseDurationMs(values["dead-man"], "--dead-man");
  const simulate = positiveInteger(values.simulate, "--simulate");
  const auth = await natsAuthFromFlags(values, io.env);
  const logger = createLogger({ name: "agent", level: io.env["ASSAY_LOG_LEVEL"] ?? "info", format: log.format, color: log.color });

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
