/**
 * `assay agents`: the agents registered with the coordinator.
 */
import { CLIENT_FLAGS, CLIENT_USAGE, connectCoordinator } from "../client/index.js";
import { formatAgentTable, jsonLine } from "../client/render.js";
import { parseFlags } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, parseOutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";

export const AGENTS_USAGE = `usage: assay agents [-o text|json]

Lists the agents registered with the coordinator.
${CLIENT_USAGE}`;

export async function agentsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags("agents", argv, {
    ...CLIENT_FLAGS,
    output: { type: "string", short: "o" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, AGENTS_USAGE);
    return ExitCode.Ok;
  }
  const format = parseOutputFormat(values.output, [OutputFormat.Text, OutputFormat.Json]);
  const client = await connectCoordinator(values, io.env);
  try {
    const reply = await client.listAgents();
    await write(io.stdout, format === OutputFormat.Json ? jsonLine(reply) : formatAgentTable(reply.agents));
    return ExitCode.Ok;
  } finally {
    client.close();
  }
}
