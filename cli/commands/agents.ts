/**
 * `assay agents`: the agents registered with the coordinator.
 */
import { formatAgentTable, jsonLine } from "../client/render.js";
import { defineCommand } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, write } from "../output.js";

export const agentsCommand = defineCommand({
  name: "agents",
  summary: "the agents registered with the coordinator",
  description: "Lists the agents registered with the coordinator.",
  output: { formats: [OutputFormat.Text, OutputFormat.Json] },
  client: true,
  flags: {},
  async run({ io, format, client }) {
    const reply = await (await client()).listAgents();
    await write(io.stdout, format === OutputFormat.Json ? jsonLine(reply) : formatAgentTable(reply.agents));
    return ExitCode.Ok;
  },
});
