/**
 * `assay analyze FILE`: the Bayesian assessment of per-version data, with no load. FILE holds
 * sample statistics per version and metric (docs/assessment.md), or a stored result document.
 */
import { readFile } from "node:fs/promises";
import { analyzeDocument, renderAssessmentText } from "../../coordinator/index.js";
import { ErrorCode, ValidationError } from "../../core/index.js";
import { parseFlags, requirePositional } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, parseOutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";

export const ANALYZE_USAGE = `usage: assay analyze FILE [-o text|json]

Assesses versions from sample statistics, with no load. FILE is JSON, e.g.
  {"rewards": {"max": ["conversion"]}, "baseline": "a",
   "versions": {"a": {"conversion": {"successes": 20, "trials": 200}},
                "b": {"conversion": {"successes": 31, "trials": 200}}}}
Sample types: rate (successes, trials), mean (count, sum, sumOfSquares), count (events, exposure).
Prints P(best), expected loss, credible intervals, lift, the winner and a traffic split.
`;

export async function analyzeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags("analyze", argv, {
    output: { type: "string", short: "o" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, ANALYZE_USAGE);
    return ExitCode.Ok;
  }
  const format = parseOutputFormat(values.output, [OutputFormat.Text, OutputFormat.Json]);
  const file = requirePositional(positionals, "analyze", "file");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ValidationError(ErrorCode.FileNotFound, `cannot read ${file}`, { cause: error, field: "FILE" });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(ErrorCode.BadResultFile, `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  const assessment = analyzeDocument(json);
  const rendered = format === OutputFormat.Json ? JSON.stringify(assessment, null, 2) : renderAssessmentText(assessment);
  await write(io.stdout, rendered.endsWith("\n") ? rendered : `${rendered}\n`);
  return ExitCode.Ok;
}
