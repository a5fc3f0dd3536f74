/**
 * `assay report FILE|ID` and `assay assert FILE|ID -c ...`: read a stored result document, from a
 * file or (an experiment ID) from the coordinator.
 */
import { stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, ValidationError, parseDurationMs } from "../../core/index.js";
import type { ResultDocument } from "../../core/index.js";
import { iter8ResultText, staticReportHtml } from "../../coordinator/index.js";
import type { ClientFlagValues, CoordinatorApi } from "../client/index.js";
import { isFinalState, stateName } from "../client/render.js";
import { checkAssertions, readResultFile, renderJson, renderReport, resultProblem } from "../render/index.js";
import { defineCommand } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, write } from "../output.js";

const RESULT_ARGUMENT = {
  name: "FILE|ID",
  description: "a stored result document (from `assay run --out`), or an experiment's ID on the coordinator (see `assay list`)",
} as const;

export const reportCommand = defineCommand({
  name: "report",
  summary: "render a stored result (text, json, html), from a file or the coordinator",
  description: `Renders a stored result document (from \`assay run --out\`), or the result of experiment ID
fetched from the coordinator, or an Iter8 experiment.yaml that carries a result: section.
-o html writes the dashboard's page as one self-contained file (no server, no network: open it
from disk); -o iter8 writes the result as Iter8's experiment result (its insights) in JSON.`,
  positionals: [RESULT_ARGUMENT],
  output: { formats: [OutputFormat.Text, OutputFormat.Json, OutputFormat.Html, OutputFormat.Iter8] },
  client: true,
  flags: {},
  async run(context) {
    const { io, format, color } = context;
    const result = await readResult(context.args["FILE|ID"], context);
    const text = renderAs(result, format, color);
    await write(io.stdout, text);
    return ExitCode.Ok;
  },
});

function renderAs(result: ResultDocument, format: OutputFormat, color: boolean): string {
  switch (format) {
    case OutputFormat.Json:
      return renderJson(result);
    case OutputFormat.Html:
      return staticReportHtml(result);
    case OutputFormat.Iter8:
      return iter8ResultText(result);
    case OutputFormat.Text:
      return renderReport(result, { color });
  }
}

export const assertCommand = defineCommand({
  name: "assert",
  summary: "check conditions on a stored result (-c completed -c nofailure -c slos)",
  description: "Exits 0 when every condition holds, 1 naming each one that does not.",
  positionals: [RESULT_ARGUMENT],
  client: true,
  flags: {
    condition: {
      type: "string",
      short: "c",
      value: "CONDITION",
      repeatable: true,
      description:
        "completed, nofailure, slos (all SLOs hold for every version), slosby=VERSION (all SLOs hold for VERSION), winnerfound, winner=VERSION",
    },
    timeout: {
      type: "string",
      short: "t",
      value: "D",
      description: "with an experiment ID: wait up to D (e.g. 60s) for the experiment to end before checking (Iter8's assert -t); no effect on a file",
    },
  },
  async run(context) {
    const conditions = context.flags.condition;
    if (conditions.length === 0) {
      throw new ValidationError(ErrorCode.BadFlag, "assay assert: give at least one condition with -c", { suggestion: "e.g. assay assert result.json -c completed -c slos" });
    }
    const waitMs = context.flags.timeout === undefined ? 0 : parseDurationMs(context.flags.timeout, "--timeout");
    const result = await readResult(context.args["FILE|ID"], context, waitMs);
    const outcome = checkAssertions(result, conditions);
    if (outcome.ok) {
      await write(context.io.stdout, `all conditions hold: ${conditions.join(", ")}\n`);
      return ExitCode.Ok;
    }
    await write(context.io.stderr, outcome.failures.map((failure) => `assertion failed: ${failure}\n`).join(""));
    return ExitCode.Failed;
  },
});

/** How often `assay assert -t` asks the coordinator whether the experiment has ended. */
const ASSERT_POLL_MS = 500;

/** An experiment ID as the coordinator makes them (`<base36 time>-<6 hex>`). */
const EXPERIMENT_ID = /^[a-z0-9]+-[0-9a-f]{6}$/;

/**
 * A file when one exists at `reference`; otherwise, when it looks like an experiment ID or a
 * coordinator was named, the experiment's result from the coordinator.
 */
async function readResult(
  reference: string,
  context: { readonly clientFlags: ClientFlagValues; readonly client: () => Promise<CoordinatorApi> },
  waitMs = 0,
): Promise<ResultDocument> {
  const isFile = await stat(reference).then(
    (s) => s.isFile(),
    () => false,
  );
  if (isFile || (!EXPERIMENT_ID.test(reference) && context.clientFlags.coordinator === undefined)) return readResultFile(reference);
  const client = await context.client();
  const deadlineMs = Date.now() + waitMs;
  let reply = await client.get(reference);
  while (!isFinalState(reply.experiment?.state ?? "") && Date.now() < deadlineMs) {
    await sleep(Math.min(ASSERT_POLL_MS, Math.max(1, deadlineMs - Date.now())));
    reply = await client.get(reference);
  }
  if (!reply.resultJson) {
    throw new ValidationError(ErrorCode.BadResultFile, `experiment ${reference} has no result yet (${stateName(reply.experiment?.state ?? "")})`, {
      suggestion: `wait for it with \`assay watch ${reference}\``,
    });
  }
  return parseResultJson(reply.resultJson, `experiment ${reference}`);
}

/** A result document from JSON text (the coordinator's Get), checked like a result file. */
export function parseResultJson(text: string, what: string): ResultDocument {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError(ErrorCode.BadResultFile, `${what}: the result is not valid JSON`, { cause });
  }
  const problem = resultProblem(document);
  if (problem) throw new ValidationError(ErrorCode.BadResultFile, `${what}: not a result document: ${problem}`);
  return document as ResultDocument;
}
