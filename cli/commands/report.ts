/**
 * `assay report FILE` and `assay assert FILE -c ...`: read a stored result document.
 */
import { ErrorCode, ValidationError } from "../../core/index.js";
import { checkAssertions, readResultFile, renderHtml, renderJson, renderReport } from "../render/index.js";
import { parseFlags, requirePositional } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, parseOutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";

export const REPORT_USAGE = `usage: assay report RESULT.json [-o text|json|html]

Renders a stored result document (from \`assay run --out\`).
`;

export const ASSERT_USAGE = `usage: assay assert RESULT.json -c CONDITION [-c CONDITION ...]

Exits 0 when every condition holds, 1 naming each one that does not.
Conditions: completed, nofailure, slos (all SLOs hold for every version),
            slosby=VERSION (all SLOs hold for VERSION), winnerfound, winner=VERSION
`;

export async function reportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags("report", argv, {
    output: { type: "string", short: "o" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, REPORT_USAGE);
    return ExitCode.Ok;
  }
  const format = parseOutputFormat(values.output, [OutputFormat.Text, OutputFormat.Json, OutputFormat.Html]);
  const result = await readResultFile(requirePositional(positionals, "report", "result.json"));
  const text =
    format === OutputFormat.Json ? renderJson(result) : format === OutputFormat.Html ? renderHtml(result) : renderReport(result, { color: io.stdout.isTTY === true });
  await write(io.stdout, text);
  return ExitCode.Ok;
}

export async function assertCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags("assert", argv, {
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
  const result = await readResultFile(requirePositional(positionals, "assert", "result.json"));
  const outcome = checkAssertions(result, conditions);
  if (outcome.ok) {
    await write(io.stdout, `all conditions hold: ${conditions.join(", ")}\n`);
    return ExitCode.Ok;
  }
  await write(io.stderr, outcome.failures.map((failure) => `assertion failed: ${failure}\n`).join(""));
  return ExitCode.Failed;
}
