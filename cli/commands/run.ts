/**
 * `assay run FILE`: parse, start local agents (worker threads), run, report, store.
 */
import { availableParallelism } from "node:os";
import { writeFile } from "node:fs/promises";
import { startLocalAgents } from "../../agent/index.js";
import { runExperiment } from "../../coordinator/index.js";
import type { RunEvent } from "../../coordinator/index.js";
import { createLogger, parseExperimentFile } from "../../core/index.js";
import type { Experiment, ResultDocument } from "../../core/index.js";
import { createProgress, renderJson, renderReport } from "../render/index.js";
import { parseFlags, positiveInteger, requirePositional } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, parseOutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";
import { defaultRunners, defaultBayesian } from "../wiring.js";

export const RUN_USAGE = `usage: assay run FILE [options]

Runs an experiment (Iter8 format) with local agents in worker threads.

  -o, --output text|json   what to print on stdout (default text: the report)
      --out FILE           also store the result document (JSON) in FILE
      --agents N           number of local agents (default: one per core)
      --set KEY=VALUE      override a field of the experiment (repeatable),
                           e.g. --set http.qps=50 --set spec[0].with.url=http://127.0.0.1:8080/
      --no-progress        no progress line on the terminal
      --allow-run          allow \`run\` tasks to execute shell commands
      --report-interval D  agents' report interval in ms (default 1000)
`;

export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags("run", argv, {
    output: { type: "string", short: "o" },
    out: { type: "string" },
    agents: { type: "string" },
    set: { type: "string", multiple: true },
    "no-progress": { type: "boolean" },
    "allow-run": { type: "boolean" },
    "report-interval": { type: "string" },
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
  const result = await runLocally(experiment, io, {
    ...(agentCount ? { agentCount } : {}),
    ...(reportIntervalMs ? { reportIntervalMs } : {}),
    progress: !values["no-progress"],
    allowRunTask: values["allow-run"] ?? false,
  });
  return finish(result, io, { format, ...(values.out ? { out: values.out } : {}) });
}

export interface LocalRunOptions {
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
  const link = await startLocalAgents({ count: options.agentCount ?? availableParallelism(), logger });
  const progress = options.progress ? createProgress(io.stderr, {}) : undefined;
  const bayesian = defaultBayesian();
  try {
    return await runExperiment(experiment, {
      link,
      logger,
      signal: controller.signal,
      policy: { allowRunTask: options.allowRunTask },
      runners: defaultRunners(),
      ...(bayesian ? { bayesian } : {}),
      ...(options.reportIntervalMs ? { reportIntervalMs: options.reportIntervalMs } : {}),
      onEvent: (event: RunEvent) => progress && onProgressEvent(event, progress),
    });
  } finally {
    progress?.done();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await link.close();
  }
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
  if (result.incomplete) return ExitCode.Interrupted;
  return result.failure === null ? ExitCode.Ok : ExitCode.Failed;
}
