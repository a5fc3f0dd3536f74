/**
 * `assay get ID`: an experiment's status, and its report once it has a result.
 */
import { CLIENT_FLAGS, CLIENT_USAGE, connectCoordinator } from "../client/index.js";
import { formatSummary, jsonLine } from "../client/render.js";
import { parseFlags, requirePositional } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, parseOutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";
import { renderReport } from "../render/index.js";
import { parseResultJson } from "./report.js";

export const GET_USAGE = `usage: assay get ID [-o text|json]

Shows an experiment's status and, once it has one, its report. -o json prints
{"experiment": {...status...}, "result": {...result document...}}.
${CLIENT_USAGE}`;

export async function getCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags("get", argv, {
    ...CLIENT_FLAGS,
    output: { type: "string", short: "o" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, GET_USAGE);
    return ExitCode.Ok;
  }
  const id = requirePositional(positionals, "get", "id");
  const format = parseOutputFormat(values.output, [OutputFormat.Text, OutputFormat.Json]);
  const client = await connectCoordinator(values, io.env);
  try {
    const reply = await client.get(id);
    const result = reply.resultJson ? parseResultJson(reply.resultJson, `experiment ${id}`) : undefined;
    if (format === OutputFormat.Json) {
      await write(io.stdout, jsonLine({ experiment: reply.experiment, ...(result ? { result } : {}) }));
      return ExitCode.Ok;
    }
    let text = reply.experiment ? formatSummary(reply.experiment) : "";
    if (result) text += `\n${renderReport(result, { color: io.stdout.isTTY === true, ...(io.stdout.columns ? { width: io.stdout.columns } : {}) })}`;
    await write(io.stdout, text);
    return ExitCode.Ok;
  } finally {
    client.close();
  }
}
