/**
 * `assay get ID`: an experiment's status, and its report once it has a result.
 */
import { formatSummary, jsonLine } from "../client/render.js";
import { defineCommand } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, write } from "../output.js";
import { renderReport } from "../render/index.js";
import { parseResultJson } from "./report.js";

export const getCommand = defineCommand({
  name: "get",
  summary: "an experiment's status and result",
  description: `Shows an experiment's status and, once it has one, its report. -o json prints
{"experiment": {...status...}, "result": {...result document...}}.`,
  positionals: [{ name: "ID", description: "the experiment's id (see `assay list`)" }],
  output: { formats: [OutputFormat.Text, OutputFormat.Json] },
  client: true,
  flags: {},
  async run({ args, io, format, color, client }) {
    const id = args.ID;
    const reply = await (await client()).get(id);
    const result = reply.resultJson ? parseResultJson(reply.resultJson, `experiment ${id}`) : undefined;
    if (format === OutputFormat.Json) {
      await write(io.stdout, jsonLine({ experiment: reply.experiment, ...(result ? { result } : {}) }));
      return ExitCode.Ok;
    }
    let text = reply.experiment ? formatSummary(reply.experiment) : "";
    if (result) text += `\n${renderReport(result, { color, ...(io.stdout.columns ? { width: io.stdout.columns } : {}) })}`;
    await write(io.stdout, text);
    return ExitCode.Ok;
  },
});
