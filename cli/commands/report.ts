/**
 * `assay report FILE|ID` and `assay assert FILE|ID -c ...`: read a stored result document, from a
 * file or (an experiment ID) from the coordinator.
 */
import { stat } from "node:fs/promises";
import { ErrorCode, ValidationError } from "../../core/index.js";
import type { ResultDocument } from "../../core/index.js";
import { staticReportHtml } from "../../coordinator/index.js";
import { CLIENT_FLAGS, CLIENT_USAGE, connectCoordinator } from "../client/index.js";
import type { ClientFlagValues } from "../client/index.js";
import { stateName } from "../client/render.js";
import { checkAssertions, readResultFile, renderJson, renderReport, resultProblem } from "../render/index.js";
import { parseFlags, requirePositional } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, parseOutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";

export const REPORT_USAGE = `usage: assay report RESULT.json|ID [-o text|json|html]

Renders a stored result document (from \`assay run --out\`), or the result of experiment ID
fetched from the coordinator. -o html writes the dashboard's page as one self-contained file
(no server, no network: open it from disk).
${CLIENT_USAGE}`;

export const ASSERT_USAGE = `usage: assay assert RESULT.json|ID -c CONDITION [-c CONDITION ...]

Exits 0 when every condition holds, 1 naming each one that does not.
Conditions: completed, nofailure, slos (all SLOs hold for every version),
            slosby=VERSION (all SLOs hold for VERSION), winnerfound, winner=VERSION
ID: an experiment's ID on the coordinator (see \`assay list\`) instead of a file.
${CLIENT_USAGE}`;

export async function reportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags("report", argv, {
    ...CLIENT_FLAGS,
    output: { type: "string", short: "o" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, REPORT_USAGE);
    return ExitCode.Ok;
  }
  const format = parseOutputFormat(values.output, [OutputFormat.Text, OutputFormat.Json, OutputFormat.Html]);
  const result = await readResult(requirePositional(positionals, "report", "result.json"), values, io.env);
  const text =
    format === OutputFormat.Json ? renderJson(result) : format === OutputFormat.Html ? staticReportHtml(result) : renderReport(result, { color: io.stdout.isTTY === true });
  await write(io.stdout, text);
  return ExitCode.Ok;
}

export async function assertCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags("assert", argv, {
    ...CLIENT_FLAGS,
    condition: { type: "string", short: "c", multiple: true },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, ASSERT_USAGE);
    return ExitCode.Ok;
  }
  const conditions = values.condition ?? [];
  if (conditions.length === 0) {
    throw new ValidationError(ErrorCode.BadFlag, "assay assert: give at least one condition with -c", { suggestion: ASSERT_USAGE });
  }
  const result = await readResult(requirePositional(positionals, "assert", "result.json"), values, io.env);
  const outcome = checkAssertions(result, conditions);
  if (outcome.ok) {
    await write(io.stdout, `all conditions hold: ${conditions.join(", ")}\n`);
    return ExitCode.Ok;
  }
  await write(io.stderr, outcome.failures.map((failure) => `assertion failed: ${failure}\n`).join(""));
  return ExitCode.Failed;
}

/** An experiment ID as the coordinator makes them (`<base36 time>-<6 hex>`). */
const EXPERIMENT_ID = /^[a-z0-9]+-[0-9a-f]{6}$/;

/**
 * A file when one exists at `reference`; otherwise, when it looks like an experiment ID or a
 * coordinator was named, the experiment's result from the coordinator.
 */
async function readResult(reference: string, flags: ClientFlagValues, env: NodeJS.ProcessEnv): Promise<ResultDocument> {
  const isFile = await stat(reference).then(
    (s) => s.isFile(),
    () => false,
  );
  if (isFile || (!EXPERIMENT_ID.test(reference) && flags.coordinator === undefined)) return readResultFile(reference);
  const client = await connectCoordinator(flags, env);
  try {
    const reply = await client.get(reference);
    if (!reply.resultJson) {
      throw new ValidationError(ErrorCode.BadResultFile, `experiment ${reference} has no result yet (${stateName(reply.experiment?.state ?? "")})`, {
        suggestion: `wait for it with \`assay watch ${reference}\``,
      });
    }
    return parseResultJson(reply.resultJson, `experiment ${reference}`);
  } finally {
    client.close();
  }
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
