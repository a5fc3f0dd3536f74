/**
 * `assay list`: the coordinator's experiments, newest first.
 */
import { CLIENT_FLAGS, CLIENT_USAGE, connectCoordinator } from "../client/index.js";
import { formatExperimentTable, jsonLine } from "../client/render.js";
import { parseFlags, positiveInteger } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, parseOutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";

export const LIST_USAGE = `usage: assay list [--limit N] [-o text|json]

Lists experiments, newest first (default at most 100).
${CLIENT_USAGE}`;

export async function listCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags("list", argv, {
    ...CLIENT_FLAGS,
    limit: { type: "string" },
    output: { type: "string", short: "o" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, LIST_USAGE);
    return ExitCode.Ok;
  }
  const format = parseOutputFormat(values.output, [OutputFormat.Text, OutputFormat.Json]);
  const limit = positiveInteger(values.limit, "--limit");
  const client = await connectCoordinator(values, io.env);
  try {
    const reply = await client.list(limit ? { limit } : {});
    await write(io.stdout, format === OutputFormat.Json ? jsonLine(reply) : formatExperimentTable(reply.experiments));
    return ExitCode.Ok;
  } finally {
    client.close();
  }
}
