/**
 * The `assay` command: dispatches to a subcommand, prints errors with their location and a hint,
 * and maps them to exit codes (cli/exit-codes.ts).
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { isAssayError } from "../core/index.js";
import { assertCommand, reportCommand } from "./commands/report.js";
import { agentCommand } from "./commands/agent.js";
import { analyzeCommand } from "./commands/analyze.js";
import { demoCommand } from "./commands/demo.js";
import { coordinatorCommand } from "./commands/coordinator.js";
import { submitCommand } from "./commands/submit.js";
import { watchCommand } from "./commands/watch.js";
import { getCommand } from "./commands/get.js";
import { listCommand } from "./commands/list.js";
import { cancelCommand } from "./commands/cancel.js";
import { agentsCommand } from "./commands/agents.js";
import { runCommand } from "./commands/run.js";
import { ExitCode, exitCodeFor } from "./exit-codes.js";
import { processIo, write } from "./output.js";
import type { CliIo } from "./output.js";

export const VERSION = "0.1.0";

const USAGE = `assay ${VERSION} — release experiments under load (Iter8-compatible)

usage: assay COMMAND [options]

  run FILE         run an experiment with local agents (worker threads), or remote ones (--nats URL)
  agent            run a load agent that serves a coordinator over NATS
  demo             start a two-version demo service and run the quickstart against it
  report FILE|ID   render a stored result (text, json, html), from a file or the coordinator
  assert FILE|ID   check conditions on a stored result (-c completed -c nofailure -c slos)
  analyze FILE     Bayesian assessment of per-version data, no load (P(best), risk, winner, split)

  coordinator      run the coordinator service (gRPC API, queue; --nats URL or --local-agents N)
  submit FILE      submit an experiment to the coordinator (--wait to follow it)
  watch ID         follow an experiment live
  get ID           an experiment's status and result
  list             the coordinator's experiments
  cancel ID        cancel a queued or running experiment
  agents           the agents registered with the coordinator
  version          print the version

Run \`assay COMMAND --help\` for a command's options. Docs: README.md and docs/.
`;

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  agent: agentCommand,
  demo: demoCommand,
  report: reportCommand,
  coordinator: coordinatorCommand,
  submit: submitCommand,
  watch: watchCommand,
  get: getCommand,
  list: listCommand,
  cancel: cancelCommand,
  agents: agentsCommand,
  assert: assertCommand,
  analyze: analyzeCommand,
  version: async (_argv, io) => {
    await write(io.stdout, `${VERSION}\n`);
    return ExitCode.Ok;
  },
};

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    await write(io.stdout, USAGE);
    return name === undefined ? ExitCode.Validation : ExitCode.Ok;
  }
  if (name === "--version") return COMMANDS["version"]?.(rest, io) ?? ExitCode.Ok;
  const command = COMMANDS[name];
  if (!command) {
    await write(io.stderr, `assay: unknown command "${name}"\n\n${USAGE}`);
    return ExitCode.Validation;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    await write(io.stderr, describeError(error));
    return exitCodeFor(error);
  }
}

function describeError(error: unknown): string {
  if (isAssayError(error)) {
    const hint = error.suggestion ? `\nhint: ${error.suggestion}` : "";
    return `error [${error.code}]: ${error.describe()}${hint}\n`;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `internal error: ${message}\n`;
}

/** Run when executed directly (`node dist/cli/main.js ...`, `tsx cli/main.ts ...`); bin/assay.js imports main instead. */
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
