/**
 * `assay run FILE`: parse, start local agents (worker threads), run, report, store.
 */
import { availableParallelism } from "node:os";
import { writeFile } from "node:fs/promises";
import { startLocalAgents } from "../../agent/index.js";
import { checkStateId, connectNatsLink, createHttpLoadRunner, natsRunStateStore, runExperiment } from "../../coordinator/index.js";
import type { RunEvent, TaskRunner } from "../../coordinator/index.js";
import { createLogger, parseDurationMs, parseExperimentFile } from "../../core/index.js";
import type { AgentInfo, AgentLink, Experiment, NatsAuth, ResultDocument } from "../../core/index.js";
import { NATS_AUTH_FLAGS, NATS_AUTH_USAGE, natsAuthFromFlags, parseLabels } from "./agent.js";
import { createProgress, renderJson, renderReport } from "../render/index.js";
import { parseFlags, positiveInteger, requirePositional } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, parseOutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";
import { defaultBayesian, defaultRunners } from "../wiring.js";

export const RUN_USAGE = `usage: assay run FILE [options]

Runs an experiment (Iter8 format) with local agents in worker threads, or with remote agents
(\`assay agent\`) over NATS when --nats is given.

  -o, --output text|json   what to print on stdout (default text: the report)
      --out FILE           also store the result document (JSON) in FILE
      --agents N           number of local agents (default: one per core)
      --set KEY=VALUE      override a field of the experiment (repeatable),
                           e.g. --set http.qps=50 --set spec[0].with.url=http://127.0.0.1:8080/
      --no-progress        no progress line on the terminal
      --allow-run          allow \`run\` tasks to execute shell commands
      --report-interval D  agents' report interval in ms (default 1000)

Distributed runs:
      --nats URL           use the agents registered on this NATS server (comma-separated URLs)
      --agents N           with --nats: wait for N agents and use N of them
      --agent-selector k=v use only agents with these labels (repeatable, or k=v,k2=v2)
      --agent-wait D       how long to wait for agents (default 15s)
      --state-id ID        store the run's plan and result in NATS under ID; running again with
                           the same ID after a coordinator crash resumes the run
${NATS_AUTH_USAGE()}`;

export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags("run", argv, {
    output: { type: "string", short: "o" },
    out: { type: "string" },
    agents: { type: "string" },
    set: { type: "string", multiple: true },
    "no-progress": { type: "boolean" },
    "allow-run": { type: "boolean" },
    "report-interval": { type: "string" },
    nats: { type: "string" },
    "agent-selector": { type: "string", multiple: true },
    "agent-wait": { type: "string" },
    "state-id": { type: "string" },
    ...NATS_AUTH_FLAGS,
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, RUN_USAGE);
    return ExitCode.Ok;
  }
  const file = requirePositional(positionals, "run", "file");
  const format = parseOutputFormat(values.output, [OutputFormat.Text, OutputFormat.Json]);
  const agentCount = positiveInteger(values.agents, "--agents");
  const reportIntervalMs = positiveInteger(values["report-interval"], "--report-interval");
  const experiment = await parseExperimentFile(file, { overrides: values.set ?? [] });
  const nats: NatsRunOptions | undefined = values.nats
    ? {
        url: values.nats,
        auth: await natsAuthFromFlags(values),
        selector: parseLabels(values["agent-selector"] ?? [], "--agent-selector"),
        waitMs: values["agent-wait"] === undefined ? 15_000 : parseDurationMs(values["agent-wait"], "--agent-wait"),
        ...(values["state-id"] ? { stateId: checkStateId(values["state-id"]) } : {}),
      }
    : undefined;
  const result = await runLocally(experiment, io, {
    ...(nats ? { nats } : {}),
    ...(agentCount ? { agentCount } : {}),
    ...(reportIntervalMs ? { reportIntervalMs } : {}),
    progress: !values["no-progress"],
    allowRunTask: values["allow-run"] ?? false,
  });
  return finish(result, io, { format, ...(values.out ? { out: values.out } : {}) });
}

/** `--nats`: remote agents instead of worker threads. */
export interface NatsRunOptions {
  url: string;
  auth: NatsAuth;
  /** Only agents with all these labels. */
  selector: Record<string, string>;
  /** How long to wait for agents to register. */
  waitMs: number;
  /** Store plans and the result in the NATS key-value bucket under this id; resume if present. */
  stateId?: string;
}

export interface LocalRunOptions {
  nats?: NatsRunOptions;
  /** Local: number of worker-thread agents. With nats: wait for this many agents and use as many. */
  agentCount?: number;
  reportIntervalMs?: number;
  progress: boolean;
  allowRunTask: boolean;
}

/**
 * Runs an experiment with local agents. Ctrl-C stops the load within a second and keeps what was
 * measured (the result is marked incomplete); a second Ctrl-C exits at once.
 */
export async function runLocally(experiment: Experiment, io: CliIo, options: LocalRunOptions): Promise<ResultDocument> {
  const logger = createLogger({ name: "assay" });
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts === 1) {
      void write(io.stderr, "\nstopping: finishing in-flight requests and keeping what was measured (Ctrl-C again to quit now)\n");
      controller.abort();
    } else {
      process.exit(ExitCode.Interrupted);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const remote = options.nats ? await connectRemote(options.nats, options.agentCount, logger) : undefined;
  const link = remote?.link ?? (await startLocalAgents({ count: options.agentCount ?? availableParallelism(), logger }));
  const progress = options.progress ? createProgress(io.stderr, {}) : undefined;
  const bayesian = defaultBayesian();
  try {
    const result = await runExperiment(experiment, {
      link,
      logger,
      signal: controller.signal,
      policy: { allowRunTask: options.allowRunTask },
      runners: { ...defaultRunners(), ...(remote?.runners ?? {}) },
      ...(bayesian ? { bayesian } : {}),
      ...(options.reportIntervalMs ? { reportIntervalMs: options.reportIntervalMs } : {}),
      onEvent: (event: RunEvent) => progress && onProgressEvent(event, progress),
    });
    // NATS may be what failed: the result is still printed and written to --out.
    await remote?.onResult(result).catch((error: unknown) => logger.error({ err: error }, "could not store the result in NATS"));
    return result;
  } finally {
    progress?.done();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await link.close();
  }
}

/**
 * Connects to NATS as the coordinator, waits for agents, narrows them to --agents/--agent-selector,
 * and with a state id gives the http task a store so a restarted coordinator resumes its run.
 */
async function connectRemote(
  nats: NatsRunOptions,
  agentCount: number | undefined,
  logger: ReturnType<typeof createLogger>,
): Promise<{ link: AgentLink; runners: Record<string, TaskRunner>; onResult: (result: ResultDocument) => Promise<void> }> {
  const natsLink = await connectNatsLink({
    natsUrl: nats.url,
    auth: nats.auth,
    logger,
    waitForAgents: { ...(agentCount ? { count: agentCount } : {}), timeoutMs: nats.waitMs },
    ...(nats.stateId ? { durableName: `coordinator-${nats.stateId}` } : {}),
  });
  const link = narrowLink(natsLink, nats.selector, agentCount);
  const runners: Record<string, TaskRunner> = {};
  const stateId = nats.stateId;
  if (!stateId) return { link, runners, onResult: async () => {} };
  const store = natsRunStateStore(natsLink);
  runners["http"] = createHttpLoadRunner({ link, state: { store, key: stateId } }) as TaskRunner;
  await store.saveExperiment(stateId, { status: "running", updatedAt: new Date().toISOString() });
  return {
    link,
    runners,
    onResult: (result) => store.saveExperiment(stateId, { status: "finished", updatedAt: new Date().toISOString(), result }),
  };
}

/** The link with only the agents matching `selector`, at most `count` of them (sorted by id). */
function narrowLink(link: AgentLink, selector: Record<string, string>, count: number | undefined): AgentLink {
  const entries = Object.entries(selector);
  if (entries.length === 0 && count === undefined) return link;
  const pick = (agents: readonly AgentInfo[]): AgentInfo[] => {
    const matching = [...agents].filter((a) => entries.every(([k, v]) => a.labels[k] === v)).sort((a, b) => a.id.localeCompare(b.id));
    return count === undefined ? matching : matching.slice(0, count);
  };
  return {
    agents: () => pick(link.agents()),
    control: (agentId, payload, timeoutMs) => link.control(agentId, payload, timeoutMs),
    subscribe: (handler) => link.subscribe(handler),
    close: () => link.close(),
  };
}

type Progress = ReturnType<typeof createProgress>;

function onProgressEvent(event: RunEvent, progress: Progress): void {
  if (event.type === "task-event" && event.event.type === "progress") {
    const data = event.event.data ?? {};
    const num = (key: string): number | undefined => (typeof data[key] === "number" ? data[key] : undefined);
    const totalRequests = num("totalRequests");
    const totalMs = num("totalMs");
    progress.update({
      task: event.task,
      elapsedMs: num("elapsedMs") ?? 0,
      requests: num("requests") ?? 0,
      errors: num("errors") ?? 0,
      ...(totalRequests !== undefined ? { totalRequests } : {}),
      ...(totalMs !== undefined ? { totalMs } : {}),
    });
  }
}

/** Prints the report or JSON, stores --out, and returns the exit code for the result. */
export async function finish(result: ResultDocument, io: CliIo, options: { format: OutputFormat; out?: string }): Promise<number> {
  if (options.out) await writeFile(options.out, renderJson(result));
  if (options.format === OutputFormat.Json) await write(io.stdout, renderJson(result));
  else await write(io.stdout, renderReport(result, { color: io.stdout.isTTY === true, ...(io.stdout.columns ? { width: io.stdout.columns } : {}) }));
  // Incomplete because a task failed (e.g. the link to the agents went down) is a failure, not an interrupt.
  if (result.incomplete && !result.tasks.some((t) => t.status === "failed")) return ExitCode.Interrupted;
  return result.failure === null ? ExitCode.Ok : ExitCode.Failed;
}
