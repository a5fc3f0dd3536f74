/**
 * `assay list`: the coordinator's experiments, newest first.
 */
import { formatExperimentTable, jsonLine } from "../client/render.js";
import { positiveInteger } from "../args.js";
import { defineCommand } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, write } from "../output.js";

export const listCommand = defineCommand({
  name: "list",
  summary: "the coordinator's experiments",
  description: "Lists experiments, newest first (default at most 100).",
  output: { formats: [OutputFormat.Text, OutputFormat.Json] },
  client: true,
  flags: {
    limit: { type: "string", value: "N", description: "at most N experiments (default 100)" },
  },
  async run({ flags, io, format, client }) {
    const limit = positiveInteger(flags.limit, "--limit");
    const reply = await (await client()).list(limit ? { limit } : {});
    await write(io.stdout, format === OutputFormat.Json ? jsonLine(reply) : formatExperimentTable(reply.experiments));
    return ExitCode.Ok;
  },
});
