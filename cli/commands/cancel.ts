/**
 * `assay cancel ID`: stop a queued or running experiment (a running one keeps what it measured).
 */
import { CLIENT_FLAGS, CLIENT_USAGE, connectCoordinator } from "../client/index.js";
import { jsonLine, stateName } from "../client/render.js";
import { parseFlags, requirePositional } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, parseOutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";

export const CANCEL_USAGE = `usage: assay cancel ID [--reason TEXT] [-o text|json]

Cancels a queued or running experiment. The load stops within a second on every agent; what was
measured is kept (\`assay get ID\`).
${CLIENT_USAGE}`;

export async function cancelCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags("cancel", argv, {
    ...CLIENT_FLAGS,
    reason: { type: "string" },
    output: { type: "string", short: "o" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, CANCEL_USAGE);
    return ExitCode.Ok;
  }
  const id = requirePositional(positionals, "cancel", "id");
  const format = parseOutputFormat(values.output, [OutputFormat.Text, OutputFormat.Json]);
  const client = await connectCoordinator(values, io.env);
  try {
    const reply = await client.cancel(id, values.reason ?? "");
    const state = stateName(reply.experiment?.state ?? "");
    if (format === OutputFormat.Json) await write(io.stdout, jsonLine(reply));
    else if (reply.alreadyFinished) await write(io.stdout, `${id} had already ended (${state}); nothing to cancel\n`);
    else await write(io.stdout, `${id} ${state}\n`);
    return ExitCode.Ok;
  } finally {
    client.close();
  }
}
