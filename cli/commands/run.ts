/**
 * `assay run FILE`: parse, start local agents (worker threads), run, report, store.
 */
import { availableParallelism } from "node:os";
import { writeFile } from "node:fs/promises";
import { startLocalAgents } from "../../agent/index.js";
import { checkStateId, connectNatsLink, createHttpLoadRunner, defaultBayesian, defaultRunners, loopPlanOf, natsRunStateStore, runExperiment } from "../../coordinator/index.js";
import type { LoopPlan, RunEvent, TaskRunners } from "../../coordinator/index.js";
import { ErrorCode, ValidationError, createLogger, parseDurationMs, parseExperimentFile } from "../../core/index.js";
import type { AgentInfo, AgentLink, Experiment, LogFormat, NatsAuth, ResultDocument } from "../../core/index.js";
import { createProgress, progressUpdateOf, renderJson, renderReport, renderSummaryLine } from "../render/index.js";
import { parseLabels, positiveInteger } from "../args.js";
import { LOOP_FLAGS, loopSettingsOf } from "../loops.js";
import { defineCommand } from "../command.js";
import type { FlagDefs, FlagValues } from "../command.js";
import { ExitCode, exitCodeForResult } from "../exit-codes.js";
import { NATS_AUTH_FLAGS, natsAuthFromFlags } from "../nats-flags.js";
import { OutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";
import { RunDashboard, UI_FLAG, uiListenAddress } from "../ui.js";

/** The flags of `assay run` (shared with `assay launch`, which defines its own `--set`). */
export const RUN_FLAGS = {
    out: { type: "string", value: "FILE", description: "also store the result document (JSON) in FILE" },
    agents: {
      type: "string",
      value: "N",
      description: "number of local agents (default: one per core); with --nats: wait for N agents and use N of them",
    },
    set: {
      type: "string",
      value: "KEY=VALUE",
      repeatable: true,
      description: "override a field of the experiment, e.g. --set http.qps=50 --set spec[0].with.url=http://127.0.0.1:8080/",
    },
    "no-progress": { type: "boolean", description: "no progress line on the terminal" },
    quiet: { type: "boolean", short: "q", description: "print only a one-line summary (for CI logs); no progress line" },
    "allow-run": { type: "boolean", description: "accepted for compatibility: a local run always runs `run` tasks (as Iter8 does)" },
    "report-interval": { type: "string", value: "MS", description: "agents' report interval in ms (default 1000)" },
    nats: { type: "string", value: "URL", group: "distributed runs", description: "use the agents registered on this NATS server (comma-separated URLs)" },
    "agent-selector": { type: "string", value: "k=v", repeatable: true, group: "distributed runs", description: "use only agents with these labels (or k=v,k2=v2)" },
    "agent-wait": { type: "string", value: "D", default: "15s", group: "distributed runs", description: "how long to wait for agents" },
    "state-id": {
      type: "string",
      value: "ID",
      group: "distributed runs",
      description: "store the run's plan and result in NATS under ID; running again with the same ID after a coordinator crash resumes the run",
    },
    ui: { ...UI_FLAG, description: `${UI_FLAG.description}; it stays open after the run until Ctrl-C` },
    ...LOOP_FLAGS,
    ...NATS_AUTH_FLAGS,
} as const satisfies FlagDefs;

export const RUN_OUTPUT = { formats: [OutputFormat.Text, OutputFormat.Json], description: "what to print on stdout: the report (text) or the result document (json)" } as const;

export const runCommand = defineCommand({
  name: "run",
  summary: "run an experiment with local agents (worker threads), or remote ones (--nats URL)",
  description: `Runs an experiment (Iter8 format) with local agents in worker threads, or with remote agents
(\`assay agent\`) over NATS when --nats is given.`,
  positionals: [{ name: "FILE", description: "the experiment (YAML)" }],
  output: RUN_OUTPUT,
  flags: RUN_FLAGS,
  async run({ flags, args, io, format, color, log }) {
    const experiment = await parseExperimentFile(args.FILE, { overrides: flags.set });
    return runWithFlags(experiment, flags, { io, format, color, log });
  },
});

/** Runs a parsed experiment as `assay run` does with these flags (every RUN_FLAGS flag but --set). */
export async function runWithFlags(experiment: Experiment, flags: FlagValues<Omit<typeof RUN_FLAGS, "set">>, { io, format, color, log }: { io: CliIo; format: OutputFormat; color: boolean; log?: LocalRunOptions["log"] }): Promise<number> {
    if (flags.quiet && format === OutputFormat.Json) {
      throw new ValidationError(ErrorCode.BadFlag, "--quiet prints a one-line summary instead of the report; -o json prints the result document", {
        field: "--quiet",
        suggestion: "give one of them; with -o json, --out FILE also stores the document",
      });
    }
    const agentCount = positiveInteger(flags.agents, "--agents");
    const reportIntervalMs = positiveInteger(flags["report-interval"], "--report-interval");
    const loops = loopPlanOf(loopSettingsOf(flags));
    const nats: NatsRunOptions | undefined = flags.nats
      ? {
          url: flags.nats,
          auth: await natsAuthFromFlags(flags, io.env),
          selector: parseLabels(flags["agent-selector"], "--agent-selector"),
          waitMs: parseDurationMs(flags["agent-wait"], "--agent-wait"),
          ...(flags["state-id"] ? { stateId: checkStateId(flags["state-id"]) } : {}),
        }
      : undefined;
    const ui = flags.ui === undefined ? undefined : new RunDashboard(uiListenAddress(flags.ui), io);
    let result: ResultDocument;
    try {
      result = await runLocally(experiment, io, {
        ...(nats ? { nats } : {}),
        ...(agentCount ? { agentCount } : {}),
        ...(reportIntervalMs ? { reportIntervalMs } : {}),
        ...(ui ? { ui } : {}),
        progress: !flags["no-progress"] && !flags.quiet,
        // A local run is the user's own shell: `run:` tasks run as Iter8 runs them (issue 11).
        allowRunTask: true,
        ...(log ? { log } : {}),
        loops,
      });
    } catch (error) {
      ui?.finish(undefined, error instanceof Error ? error.message : String(error));
      await ui?.close();
      throw error;
    }
    const code = await finish(result, io, { format, color, quiet: flags.quiet, ...(flags.out ? { out: flags.out } : {}) });
    await ui?.linger();
    return code;
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
  /** `--ui`: the run's dashboard. */
  ui?: RunDashboard;
  /** `--log-format` (default JSON lines) and whether human lines are coloured. */
  log?: { readonly format: LogFormat; readonly color: boolean };
  /** `--loops`, `--interval`: default once. */
  loops?: LoopPlan;
}

/**
 * Runs an experiment with local agents. Ctrl-C stops the load within a second and keeps what was
 * measured (the result is marked incomplete); a second Ctrl-C exits at once.
 */
export async function runLocally(experiment: Experiment, io: CliIo, options: LocalRunOptions): Promise<ResultDocument> {
  const logger = createLogger({ name: "assay", ...(options.log ? { format: options.log.format, color: options.log.color } : {}) });
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
  const link = remote?.link ?? (await startLocalAgents({ count: options.agentCount ?? availableParallelism(), logger, ...(options.log ? { log: options.log } : {}) }));
  const progress = options.progress ? createProgress(io.stderr, {}) : undefined;
  const bayesian = defaultBayesian();
  try {
    const baseRunners: TaskRunners = { ...defaultRunners(), ...(remote?.runners ?? {}) };
    const ui = await options.ui?.attach(experiment, link, logger, baseRunners, bayesian);
    const result = await runExperiment(experiment, {
      link,
      logger,
      signal: controller.signal,
      policy: { allowRunTask: options.allowRunTask },
      runners: ui?.runners ?? baseRunners,
      bayesian,
      ...(options.reportIntervalMs ? { reportIntervalMs: options.reportIntervalMs } : {}),
      ...(options.loops ? { loops: options.loops } : {}),
      onEvent: (event: RunEvent) => {
        ui?.onEvent(event);
        const update = progress ? progressUpdateOf(event) : undefined;
        if (update) progress?.update(update);
      },
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
): Promise<{ link: AgentLink; runners: TaskRunners; onResult: (result: ResultDocument) => Promise<void> }> {
  const natsLink = await connectNatsLink({
    natsUrl: nats.url,
    auth: nats.auth,
    logger,
    waitForAgents: { ...(agentCount ? { count: agentCount } : {}), timeoutMs: nats.waitMs },
    ...(nats.stateId ? { durableName: `coordinator-${nats.stateId}` } : {}),
  });
  const link = narrowLink(natsLink, nats.selector, agentCount);
  const stateId = nats.stateId;
  if (!stateId) return { link, runners: {}, onResult: async () => {} };
  const store = natsRunStateStore(natsLink);
  const runners: TaskRunners = { http: createHttpLoadRunner({ link, state: { store, key: stateId } }) };
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

/** Prints the report or JSON, stores --out, and returns the exit code for the result. */
export async function finish(result: ResultDocument, io: CliIo, options: { format: OutputFormat; color: boolean; quiet?: boolean; out?: string }): Promise<number> {
  if (options.out) await writeFile(options.out, renderJson(result));
  if (options.format === OutputFormat.Json) await write(io.stdout, renderJson(result));
  else if (options.quiet === true) await write(io.stdout, renderSummaryLine(result));
  else await write(io.stdout, renderReport(result, { color: options.color, ...(io.stdout.columns ? { width: io.stdout.columns } : {}) }));
  return exitCodeForResult(result);
}
