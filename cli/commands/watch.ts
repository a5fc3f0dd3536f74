/**
 * `assay watch ID`: follow an experiment live through the coordinator's Watch stream.
 */
import { ErrorCode, TransportError } from "../../core/index.js";
import type { api } from "../../core/index.js";
import type { CoordinatorApi } from "../client/index.js";
import { createLiveView, exitCodeForState, isFinalState } from "../client/render.js";
import { defineCommand } from "../command.js";
import { OutputFormat } from "../output.js";
import type { CliIo } from "../output.js";

export const watchCommand = defineCommand({
  name: "watch",
  summary: "follow an experiment live",
  description: `Follows an experiment until it ends: on a terminal a live table and progress bar, otherwise one
line per event (one per report interval while load runs); -o json prints each event as one JSON
object per line. Exits 0 when the experiment completed, 1 when it failed, 130 when cancelled.`,
  positionals: [{ name: "ID", description: "the experiment's id (see `assay list`)" }],
  output: { formats: [OutputFormat.Text, OutputFormat.Json] },
  client: true,
  flags: {
    "from-seq": { type: "string", value: "N", description: "resume after a disconnect: the events from seq N on" },
  },
  async run({ flags, args, io, format, client }) {
    const fromSeq = flags["from-seq"] === undefined ? 0 : Number(flags["from-seq"]);
    const final = await followExperiment(await client(), args.ID, io, format === OutputFormat.Json ? "json" : "text", Number.isInteger(fromSeq) && fromSeq > 0 ? fromSeq : 0);
    return exitCodeForState(final.state);
  },
});

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
