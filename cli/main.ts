/**
 * The `assay` command: dispatches to a subcommand, prints errors with their location and a hint,
 * and maps them to exit codes (cli/exit-codes.ts).
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { ErrorCode, VERSION, ValidationError, isAssayError } from "../core/index.js";
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
import { launchCommand } from "./commands/launch.js";
import { defineCommand } from "./command.js";
import type { Command } from "./command.js";
import { ExitCode, exitCodeFor } from "./exit-codes.js";
import { processIo, write } from "./output.js";
import type { CliIo } from "./output.js";
import { closest } from "./suggest.js";
import { versionText } from "./version-info.js";

export { VERSION };

const versionCommand = defineCommand({
  name: "version",
  summary: "print the version (--verbose: with Node's, the NATS client's and the agent protocol's)",
  flags: {
    verbose: { type: "boolean", short: "v", description: "also print the versions of Node, the NATS client and the agent protocol" },
  },
  async run({ io, flags }) {
    await write(io.stdout, flags.verbose ? versionText() : `${VERSION}\n`);
    return ExitCode.Ok;
  },
});

const helpCommand = defineCommand({
  name: "help",
  summary: "list the commands, or print one command's help",
  positionals: [{ name: "COMMAND", description: "the command whose help to print", required: false }],
  flags: {},
  async run({ args, io }) {
    const name = args.COMMAND;
    if (name === undefined) {
      await write(io.stdout, overview());
      return ExitCode.Ok;
    }
    await write(io.stdout, findCommand(name).help());
    return ExitCode.Ok;
  },
});

/** The commands, in the groups `assay help` lists them in. */
const GROUPS: readonly (readonly Command[])[] = [
  [runCommand, launchCommand, agentCommand, demoCommand, reportCommand, assertCommand, analyzeCommand],
  [coordinatorCommand, submitCommand, watchCommand, getCommand, listCommand, cancelCommand, agentsCommand],
  [versionCommand, helpCommand],
];

export const COMMANDS: readonly Command[] = GROUPS.flat();

/** `assay help`: every command with its summary. */
export function overview(): string {
  const label = (command: Command): string => command.usage.replace(/^assay /, "").replace(/ \[options\]$/, "");
  const width = Math.max(...COMMANDS.map((command) => label(command).length)) + 2;
  const groups = GROUPS.map((group) => group.map((command) => `  ${label(command).padEnd(width)} ${command.summary}`).join("\n"));
  return `assay ${VERSION} — release experiments under load (Iter8-compatible)

usage: assay COMMAND [options]

${groups.join("\n\n")}

Run \`assay help COMMAND\` (or \`assay COMMAND --help\`) for a command's options. Docs: README.md and docs/.
`;
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  const nearest = closest(name, COMMANDS.map((c) => c.name));
  throw new ValidationError(ErrorCode.BadFlag, `unknown command "${name}"${nearest ? ` (did you mean "${nearest}"?)` : ""}`, {
    suggestion: "run `assay help` for the list of commands",
  });
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    await write(io.stdout, overview());
    return name === undefined ? ExitCode.Validation : ExitCode.Ok;
  }
  try {
    const command = findCommand(name === "--version" ? "version" : name);
    return await command.run(rest, io);
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
