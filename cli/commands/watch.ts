/**
 * `assay watch ID`: follow an experiment live through the coordinator's Watch stream.
 */
import { ErrorCode, TransportError } from "../../core/index.js";
import type { api } from "../../core/index.js";
import { CLIENT_FLAGS, CLIENT_USAGE, connectCoordinator } from "../client/index.js";
import type { CoordinatorApi } from "../client/index.js";
import { createLiveView, exitCodeForState, isFinalState } from "../client/render.js";
import { parseFlags, requirePositional } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, parseOutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";

export const WATCH_USAGE = `usage: assay watch ID [--from-seq N] [-o text|json]

Follows an experiment until it ends: on a terminal a live table and progress bar, otherwise one
line per event (one per report interval while load runs); -o json prints each event as one JSON
object per line. Exits 0 when the experiment completed, 1 when it failed, 130 when cancelled.

      --from-seq N     resume after a disconnect: the events from seq N on
${CLIENT_USAGE}`;

export async function watchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags("watch", argv, {
    ...CLIENT_FLAGS,
    output: { type: "string", short: "o" },
    "from-seq": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, WATCH_USAGE);
    return ExitCode.Ok;
  }
  const id = requirePositional(positionals, "watch", "id");
  const format = parseOutputFormat(values.output, [OutputFormat.Text, OutputFormat.Json]);
  const fromSeq = values["from-seq"] === undefined ? 0 : Number(values["from-seq"]);
  const client = await connectCoordinator(values, io.env);
  try {
    const final = await followExperiment(client, id, io, format === OutputFormat.Json ? "json" : "text", Number.isInteger(fromSeq) && fromSeq > 0 ? fromSeq : 0);
    return exitCodeForState(final.state);
  } finally {
    client.close();
  }
}

/** Streams an experiment's events to stdout until it ends; returns its final summary. */
export async function followExperiment(client: CoordinatorApi, id: string, io: CliIo, format: "text" | "json", fromSeq = 0): Promise<api.ExperimentSummary__Output> {
  const view = createLiveView(io.stdout, format);
  let last: api.ExperimentSummary__Output | undefined;
  try {
    for await (const event of client.watch(id, fromSeq)) {
      view.onEvent(event);
      last = event.completed?.experiment ?? event.snapshot?.experiment ?? last;
    }
  } finally {
    view.done();
  }
  if (last && isFinalState(last.state)) return last;
  // The stream ended without a final state (coordinator shutting down): ask once more.
  const reply = await client.get(id);
  if (reply.experiment && isFinalState(reply.experiment.state)) return reply.experiment;
  throw new TransportError(ErrorCode.LinkClosed, `the watch of ${id} ended before the experiment did`, { suggestion: `run \`assay watch ${id}\` again` });
}
