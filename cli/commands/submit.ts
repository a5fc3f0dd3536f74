/**
 * `assay submit FILE`: send an experiment to the coordinator's queue; with --wait, follow it.
 */
import { readFile } from "node:fs/promises";
import { ErrorCode, ValidationError } from "../../core/index.js";
import { CLIENT_FLAGS, CLIENT_USAGE, connectCoordinator } from "../client/index.js";
import { exitCodeForState, jsonLine, stateName } from "../client/render.js";
import { parseFlags, requirePositional } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, parseOutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";
import { followExperiment } from "./watch.js";

export const SUBMIT_USAGE = `usage: assay submit FILE [--wait] [--set KEY=VALUE ...] [-o text|json]

Submits an experiment (Iter8 format) to the coordinator. Prints its id; with --wait, follows it
like \`assay watch\` and exits 0 / 1 / 130 for completed / failed / cancelled.

      --set KEY=VALUE   override a field (repeatable), e.g. --set http.qps=50
      --wait            follow the experiment until it ends
  -o, --output FORMAT   text (default) or json
${CLIENT_USAGE}`;

export async function submitCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags("submit", argv, {
    ...CLIENT_FLAGS,
    set: { type: "string", multiple: true },
    wait: { type: "boolean" },
    output: { type: "string", short: "o" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, SUBMIT_USAGE);
    return ExitCode.Ok;
  }
  const file = requirePositional(positionals, "submit", "file");
  const format = parseOutputFormat(values.output, [OutputFormat.Text, OutputFormat.Json]);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ValidationError(ErrorCode.FileNotFound, `cannot read experiment file ${file}`, { cause });
  }
  const client = await connectCoordinator(values, io.env);
  try {
    const reply = await client.submit({ experimentYaml: text, sourceName: file, overrides: values.set ?? [] });
    const experiment = reply.experiment;
    if (!experiment) throw new ValidationError(ErrorCode.MalformedMessage, "the coordinator did not return the experiment");
    if (format === OutputFormat.Json) await write(io.stdout, jsonLine({ submitted: experiment }));
    else if (values.wait) await write(io.stderr, `submitted ${experiment.id} (${experiment.name})\n`);
    else await write(io.stdout, `${experiment.id}\n`);
    if (!values.wait) {
      if (format === OutputFormat.Text && io.stderr.isTTY) await write(io.stderr, `${stateName(experiment.state)}; follow it with: assay watch ${experiment.id}\n`);
      return ExitCode.Ok;
    }
    const final = await followExperiment(client, experiment.id, io, format === OutputFormat.Json ? "json" : "text");
    return exitCodeForState(final.state);
  } finally {
    client.close();
  }
}
