/**
 * `assay cancel ID`: stop a queued or running experiment (a running one keeps what it measured).
 */
import { jsonLine, stateName } from "../client/render.js";
import { defineCommand } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, write } from "../output.js";

export const cancelCommand = defineCommand({
  name: "cancel",
  summary: "cancel a queued or running experiment",
  description: `Cancels a queued or running experiment. The load stops within a second on every agent; what was
measured is kept (\`assay get ID\`).`,
  positionals: [{ name: "ID", description: "the experiment's id (see `assay list`)" }],
  output: { formats: [OutputFormat.Text, OutputFormat.Json] },
  client: true,
  flags: {
    reason: { type: "string", value: "TEXT", description: "why, recorded with the experiment" },
  },
  async run({ flags, args, io, format, client }) {
    const id = args.ID;
    const reply = await (await client()).cancel(id, flags.reason ?? "");
    const state = stateName(reply.experiment?.state ?? "");
    if (format === OutputFormat.Json) await write(io.stdout, jsonLine(reply));
    else if (reply.alreadyFinished) await write(io.stdout, `${id} had already ended (${state}); nothing to cancel\n`);
    else await write(io.stdout, `${id} ${state}\n`);
    return ExitCode.Ok;
  },
});
